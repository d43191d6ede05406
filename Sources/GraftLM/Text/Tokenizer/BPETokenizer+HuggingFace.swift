import Foundation

extension BPETokenizer {
    /// Builds a tokenizer from a Hugging Face `tokenizer.json` (model type BPE, byte-level),
    /// optionally with its `tokenizer_config.json` for the BOS/EOS/PAD/UNK tokens,
    /// `add_bos_token`/`add_eos_token` and `chat_template`.
    ///
    /// Supported: normalizer null or NFC; pre-tokenizers ByteLevel, Digits, and Split with the
    /// GPT-2, Llama-3 or Qwen2 pattern (Isolated), alone or in a Sequence; post-processors
    /// ByteLevel, TemplateProcessing (its single-sequence template gives the prefix/suffix
    /// ids) or a Sequence of those; decoder ByteLevel. BPE `dropout` is ignored (it only
    /// matters for training-time augmentation). Anything else is refused with
    /// ``TokenizerError/unsupported(source:field:value:)``.
    public init(tokenizerJSON url: URL, tokenizerConfig configURL: URL? = nil) throws {
        let (fields, root) = try TokenizerJSONFields.load(url)
        let model = try fields.object(root["model"], "model")
        let modelType = try fields.optionalString(model["type"], "model.type") ?? "BPE"
        guard modelType == "BPE" else { throw fields.unsupported("model.type", "\"\(modelType)\"") }
        for field in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = try fields.optionalString(model[field], "model.\(field)"), !value.isEmpty {
                throw fields.unsupported("model.\(field)", "\"\(value)\"")
            }
        }
        if try fields.bool(model["byte_fallback"], "model.byte_fallback", default: false) {
            throw fields.unsupported("model.byte_fallback", true)
        }

        // Vocabulary and added tokens.
        let vocab = try fields.object(model["vocab"], "model.vocab")
        var texts: [Int32: String] = [:]
        texts.reserveCapacity(vocab.count)
        for (text, value) in vocab {
            texts[try fields.tokenID(value, "model.vocab[\"\(text)\"]")] = text
        }
        var added: [AddedToken] = []
        if !fields.isNull(root["added_tokens"]) {
            for (index, item) in try fields.array(root["added_tokens"], "added_tokens").enumerated() {
                let field = "added_tokens[\(index)]"
                let entry = try fields.object(item, field)
                let id = try fields.tokenID(entry["id"], "\(field).id")
                let content = try fields.string(entry["content"], "\(field).content")
                guard !content.isEmpty else { throw fields.malformed("\(field).content", "is empty") }
                if try fields.bool(entry["single_word"], "\(field).single_word", default: false) {
                    throw fields.unsupported("\(field).single_word", true)
                }
                if let existing = texts[id], existing != content {
                    throw fields.malformed("\(field)", "gives id \(id) the text \"\(content)\" but model.vocab has \"\(existing)\"")
                }
                texts[id] = content
                added.append(AddedToken(
                    id: id, content: content,
                    special: try fields.bool(entry["special"], "\(field).special", default: false),
                    leftStrip: try fields.bool(entry["lstrip"], "\(field).lstrip", default: false),
                    rightStrip: try fields.bool(entry["rstrip"], "\(field).rstrip", default: false)))
            }
        }
        guard let maxID = texts.keys.max() else { throw fields.malformed("model.vocab", "is empty") }
        var tokenTexts = [String?](repeating: nil, count: Int(maxID) + 1)
        for (id, text) in texts { tokenTexts[Int(id)] = text }

        // Merges: "left right" strings (legacy) or ["left", "right"] pairs.
        var merges: [(left: String, right: String)] = []
        let mergeItems = fields.isNull(model["merges"]) ? [] : try fields.array(model["merges"], "model.merges")
        merges.reserveCapacity(mergeItems.count)
        for (rank, item) in mergeItems.enumerated() {
            if let pair = item as? [Any], pair.count == 2, let left = pair[0] as? String, let right = pair[1] as? String {
                merges.append((left, right))
            } else if let line = item as? String {
                if line.hasPrefix("#version") { continue }
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw fields.malformed("model.merges[\(rank)]", "\"\(line)\" is not two tokens separated by one space")
                }
                merges.append((String(parts[0]), String(parts[1])))
            } else {
                throw fields.malformed("model.merges[\(rank)]", "is neither a \"left right\" string nor a pair of strings")
            }
        }

        var parts = Parts(source: url.path, tokenTexts: tokenTexts, merges: merges, mergesField: "model.merges",
                          addedTokens: added, preTokenizer: PreTokenizer(steps: []))
        parts.ignoreMerges = try fields.bool(model["ignore_merges"], "model.ignore_merges", default: false)
        parts.normalizesNFC = try Self.parseNormalizer(root["normalizer"], fields: fields, field: "normalizer")
        parts.preTokenizer = try Self.parsePreTokenizer(root["pre_tokenizer"], fields: fields)
        try Self.checkDecoder(root["decoder"], fields: fields, field: "decoder")
        let idsByText = Dictionary(texts.map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        if let unk = try fields.optionalString(model["unk_token"], "model.unk_token") {
            guard let id = idsByText[unk] else { throw fields.malformed("model.unk_token", "\"\(unk)\" is not in the vocabulary") }
            parts.unknownForMissingBytes = id
            parts.unknownTokenID = id
        }
        (parts.prefixTokenIDs, parts.suffixTokenIDs) = try Self.parsePostProcessor(
            root["post_processor"], fields: fields, field: "post_processor")
        if let configURL {
            try Self.applyConfig(configURL, idsByText: idsByText, to: &parts)
        }
        try self.init(parts: parts)
    }

    /// Builds a tokenizer from a model directory holding `tokenizer.json` and optionally
    /// `tokenizer_config.json` and `chat_template.jinja` (which, when present, supplies the chat
    /// template if the config has none).
    public init(directory: URL) throws {
        let manager = FileManager.default
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let config = manager.fileExists(atPath: configURL.path) ? configURL : nil
        var tokenizer = try BPETokenizer(tokenizerJSON: directory.appendingPathComponent("tokenizer.json"),
                                         tokenizerConfig: config)
        let templateURL = directory.appendingPathComponent("chat_template.jinja")
        if tokenizer.chatTemplate == nil, manager.fileExists(atPath: templateURL.path) {
            do {
                tokenizer.chatTemplate = try String(contentsOf: templateURL, encoding: .utf8)
            } catch {
                throw TokenizerError.unreadable(source: templateURL.path, reason: error.localizedDescription)
            }
        }
        self = tokenizer
    }

}
