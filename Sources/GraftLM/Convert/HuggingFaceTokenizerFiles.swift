import Foundation
import GraftIO

/// The tokenizer files of a Hugging Face / mlx-lm model folder (`tokenizer.json`,
/// `tokenizer_config.json` with the chat template), built from a GGUF file's `tokenizer.*`
/// metadata (formats.md §2, §3) or copied from a source folder.
public struct HuggingFaceTokenizerFiles: Sendable {
    /// File name → contents.
    public let files: [String: Data]

    /// Files copied as they are when the source is a Hugging Face folder.
    public static let copiedFileNames = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                         "chat_template.jinja", "generation_config.json"]

    /// The tokenizer files present in the folder `directory`.
    /// - Throws: ``ModelError/invalidInput(_:)`` when the folder has no `tokenizer.json`.
    public init(copyingFrom directory: URL) throws {
        var files: [String: Data] = [:]
        for name in Self.copiedFileNames {
            let url = directory.appendingPathComponent(name)
            if let data = FileManager.default.contents(atPath: url.path) { files[name] = data }
        }
        guard files["tokenizer.json"] != nil else {
            throw ModelError.invalidInput("\(directory.path) has no tokenizer.json to copy into the converted model")
        }
        self.files = files
    }

    /// `tokenizer.json` and `tokenizer_config.json` for the byte-level BPE tokenizer of `file`
    /// (`tokenizer.ggml.model` "gpt2"): the vocabulary, merges (as pairs), control and
    /// user-defined tokens as added tokens, the pre-tokenizer of `tokenizer.ggml.pre`, BOS/EOS
    /// as the GGUF's add flags say, and `tokenizer.chat_template`.
    /// - Throws: ``TokenizerError`` naming the file and key for a tokenizer Graft cannot read.
    public init(gguf file: GGUFFile, contextLength: Int) throws {
        let tokenizer = try BPETokenizer(gguf: file)
        let source = "GGUF file \(file.path)"
        guard let tokens = try file.stringArray("tokenizer.ggml.tokens"),
              let merges = try file.stringArray("tokenizer.ggml.merges") else {
            throw TokenizerError.malformed(source: source, field: "tokenizer.ggml.tokens", problem: "is missing")
        }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() where vocab[token] == nil { vocab[token] = id }
        let pairs: [[String]] = merges.map { merge in
            let scalars = merge.unicodeScalars
            let space = scalars.dropFirst().firstIndex(of: " ")!  // checked by BPETokenizer(gguf:)
            return [String(scalars[..<space]), String(scalars[scalars.index(after: space)...])]
        }
        let added: [[String: Any]] = tokenizer.addedTokens.map { token in
            ["id": Int(token.id), "content": token.content, "single_word": false, "lstrip": token.leftStrip,
             "rstrip": token.rightStrip, "normalized": false, "special": token.special]
        }
        let model: [String: Any] = [
            "type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
            "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false,
            "ignore_merges": tokenizer.wholePieceIDs != nil, "vocab": vocab, "merges": pairs,
        ]
        let json: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added,
            "normalizer": tokenizer.normalizesNFC ? ["type": "NFC"] as [String: Any] : NSNull(),
            "pre_tokenizer": Self.preTokenizerJSON(tokenizer.preTokenizer),
            "post_processor": Self.postProcessorJSON(tokenizer),
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true] as [String: Any],
            "model": model,
        ]
        var config: [String: Any] = [
            "tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": false,
            "model_max_length": contextLength,
            "add_bos_token": tokenizer.prefixTokenIDs.first == tokenizer.bosTokenID && tokenizer.bosTokenID != nil,
            "add_eos_token": tokenizer.suffixTokenIDs.last == tokenizer.eosTokenID && tokenizer.eosTokenID != nil,
        ]
        for (key, id) in [("bos_token", tokenizer.bosTokenID), ("eos_token", tokenizer.eosTokenID),
                          ("pad_token", tokenizer.padTokenID), ("unk_token", tokenizer.unknownTokenID)] {
            if let id, let text = tokenizer.token(for: id) { config[key] = text }
        }
        if let template = tokenizer.chatTemplate { config["chat_template"] = template }
        files = ["tokenizer.json": try Self.encode(json), "tokenizer_config.json": try Self.encode(config, pretty: true)]
    }

    /// Writes the files into `folder`.
    public func write(into folder: URL) throws {
        for (name, data) in files.sorted(by: { $0.key < $1.key }) {
            try AtomicFile.write(data, to: folder.appendingPathComponent(name))
        }
    }

    /// The pre-tokenizer steps as `tokenizer.json` components, ending in ByteLevel (which
    /// applies the GPT-2 pattern itself when that is the last step).
    static func preTokenizerJSON(_ preTokenizer: PreTokenizer) -> [String: Any] {
        var items: [[String: Any]] = []
        var byteLevelRegex = false
        for (index, step) in preTokenizer.steps.enumerated() {
            switch step {
            case .digits(let individually):
                items.append(["type": "Digits", "individual_digits": individually])
            case .gpt2 where index == preTokenizer.steps.count - 1:
                byteLevelRegex = true
            case .gpt2:
                items.append(split(BPETokenizer.gpt2Pattern))
            case .llama3(let maxDigits):
                items.append(split(BPETokenizer.llama3Pattern(digits: maxDigits == 1 ? #"\p{N}"# : #"\p{N}{1,\#(maxDigits)}"#)))
            }
        }
        items.append(["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": byteLevelRegex])
        return items.count == 1 ? items[0] : ["type": "Sequence", "pretokenizers": items]
    }

    private static func split(_ regex: String) -> [String: Any] {
        ["type": "Split", "pattern": ["Regex": regex], "behavior": "Isolated", "invert": false]
    }

    /// ByteLevel when nothing is added around the text; otherwise TemplateProcessing with the
    /// prefix/suffix ids (e.g. Llama 3's BOS).
    static func postProcessorJSON(_ tokenizer: BPETokenizer) -> [String: Any] {
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true]
        guard !tokenizer.prefixTokenIDs.isEmpty || !tokenizer.suffixTokenIDs.isEmpty else { return byteLevel }
        var specials: [String: Any] = [:]
        func special(_ id: Int32, typeID: Int) -> [String: Any] {
            let text = tokenizer.token(for: id) ?? ""
            specials[text] = ["id": text, "ids": [Int(id)], "tokens": [text]]
            return ["SpecialToken": ["id": text, "type_id": typeID]]
        }
        func sequence(_ name: String, _ typeID: Int) -> [String: Any] { ["Sequence": ["id": name, "type_id": typeID]] }
        let single = tokenizer.prefixTokenIDs.map { special($0, typeID: 0) } + [sequence("A", 0)]
            + tokenizer.suffixTokenIDs.map { special($0, typeID: 0) }
        let pair = single + tokenizer.prefixTokenIDs.map { special($0, typeID: 1) } + [sequence("B", 1)]
            + tokenizer.suffixTokenIDs.map { special($0, typeID: 1) }
        let template: [String: Any] = ["type": "TemplateProcessing", "single": single, "pair": pair, "special_tokens": specials]
        return ["type": "Sequence", "processors": [byteLevel, template]]
    }

    static func encode(_ object: Any, pretty: Bool = false) throws -> Data {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        return try JSONSerialization.data(withJSONObject: object, options: options) + Data("\n".utf8)
    }
}
