import Foundation
import GraftIO

/// Writes a tokenizer as Hugging Face files (formats.md §3): `tokenizer.json` (BPE model with
/// the vocabulary, merges in rank order, added tokens, the normalizer, the pre-tokenizer steps
/// as Digits / Split / ByteLevel, the post-processor and a ByteLevel decoder) and
/// `tokenizer_config.json` (special tokens, add_bos/add_eos, chat template). transformers'
/// `AutoTokenizer` and Graft's ``init(directory:)`` read them back to the same token ids.
/// ``HuggingFaceTokenizerFiles/init(tokenizer:modelMaxLength:)`` encodes them as files.
extension BPETokenizer {
    /// `tokenizer.json` as a JSON object.
    public var tokenizerJSON: [String: Any] {
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(tokenTexts.count)
        for (id, text) in tokenTexts.enumerated() {
            if let text, vocab[text] == nil { vocab[text] = id }
        }
        let merges = merger.merges.sorted { $0.value >> 32 < $1.value >> 32 }.map { pair -> [String] in
            let left = Int32(truncatingIfNeeded: pair.key >> 32), right = Int32(truncatingIfNeeded: pair.key & 0xFFFF_FFFF)
            return [tokenTexts[Int(left)]!, tokenTexts[Int(right)]!]
        }
        let added: [[String: Any]] = addedTokens.map { token in
            ["id": Int(token.id), "content": token.content, "single_word": false, "lstrip": token.leftStrip,
             "rstrip": token.rightStrip, "normalized": false, "special": token.special]
        }
        var unknown: Any = NSNull()
        if let id = merger.unknownID, let text = token(for: id) { unknown = text }
        let model: [String: Any] = [
            "type": "BPE", "dropout": NSNull(), "unk_token": unknown, "continuing_subword_prefix": NSNull(),
            "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false,
            "ignore_merges": wholePieceIDs != nil, "vocab": vocab, "merges": merges,
        ]
        return [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added,
            "normalizer": normalizesNFC ? ["type": "NFC"] as Any : NSNull() as Any,
            "pre_tokenizer": preTokenizerJSON, "post_processor": postProcessorJSON,
            "decoder": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true] as [String: Any],
            "model": model,
        ]
    }

    /// The pre-tokenizer steps as Hugging Face components, ending with ByteLevel (which runs
    /// the GPT-2 pattern itself when that is the last step).
    var preTokenizerJSON: [String: Any] {
        var items: [[String: Any]] = []
        func split(_ pattern: String) -> [String: Any] {
            ["type": "Split", "pattern": ["Regex": pattern], "behavior": "Isolated", "invert": false]
        }
        for (index, step) in preTokenizer.steps.enumerated() {
            switch step {
            case .digits(let individually):
                items.append(["type": "Digits", "individual_digits": individually])
            case .gpt2 where index == preTokenizer.steps.count - 1:
                items.append(["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true])
            case .gpt2:
                items.append(split(Self.gpt2Pattern))
            case .llama3(let maxDigits):
                items.append(split(Self.llama3Pattern(digits: maxDigits == 1 ? #"\p{N}"# : #"\p{N}{1,\#(maxDigits)}"#)))
            }
        }
        if preTokenizer.steps.last != .gpt2 {
            items.append(["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false])
        }
        return items.count == 1 ? items[0] : ["type": "Sequence", "pretokenizers": items]
    }

    /// ByteLevel when nothing is added around the text, else TemplateProcessing with the
    /// prefix and suffix ids.
    var postProcessorJSON: [String: Any] {
        guard !prefixTokenIDs.isEmpty || !suffixTokenIDs.isEmpty else {
            return ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": true]
        }
        var specials: [String: Any] = [:]
        func special(_ id: Int32, typeID: Int) -> [String: Any] {
            let name = token(for: id) ?? String(id)
            specials[name] = ["id": name, "ids": [Int(id)], "tokens": [name]]
            return ["SpecialToken": ["id": name, "type_id": typeID]]
        }
        func sequence(_ name: String, typeID: Int) -> [[String: Any]] {
            prefixTokenIDs.map { special($0, typeID: typeID) } + [["Sequence": ["id": name, "type_id": typeID]]]
                + suffixTokenIDs.map { special($0, typeID: typeID) }
        }
        return ["type": "TemplateProcessing", "single": sequence("A", typeID: 0),
                "pair": sequence("A", typeID: 0) + sequence("B", typeID: 1), "special_tokens": specials]
    }

    /// `tokenizer_config.json` as a JSON object: the special tokens by text, whether BOS/EOS
    /// are added, the chat template, and `model_max_length` when given.
    public func tokenizerConfigJSON(modelMaxLength: Int? = nil) -> [String: Any] {
        var config: [String: Any] = [
            "tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": false,
            "add_bos_token": bosTokenID.map { prefixTokenIDs.contains($0) } ?? false,
            "add_eos_token": eosTokenID.map { suffixTokenIDs.contains($0) } ?? false,
        ]
        for (key, id) in [("bos_token", bosTokenID), ("eos_token", eosTokenID), ("pad_token", padTokenID), ("unk_token", unknownTokenID)] {
            if let id, let text = token(for: id) { config[key] = text }
        }
        if let chatTemplate { config["chat_template"] = chatTemplate }
        if let modelMaxLength { config["model_max_length"] = modelMaxLength }
        return config
    }
}
