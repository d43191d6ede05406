import Foundation

/// Readers for the pipeline components of a Hugging Face `tokenizer.json` and for
/// `tokenizer_config.json`.
extension BPETokenizer {
    /// The pre-tokenizer regular expressions this package implements by hand.
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static func llama3Pattern(digits: String) -> String {
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|"# + digits
            + #"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    }

    /// Returns whether the normalizer asks for NFC (the only one supported besides none).
    static func parseNormalizer(_ value: Any?, fields: TokenizerJSONFields, field: String) throws -> Bool {
        if fields.isNull(value) { return false }
        let object = try fields.object(value, field)
        let type = try fields.string(object["type"], "\(field).type")
        switch type {
        case "NFC":
            return true
        case "Sequence":
            var nfc = false
            for (index, item) in try fields.array(object["normalizers"], "\(field).normalizers").enumerated() {
                nfc = try parseNormalizer(item, fields: fields, field: "\(field).normalizers[\(index)]") || nfc
            }
            return nfc
        default:
            throw fields.unsupported("\(field).type", "\"\(type)\"")
        }
    }

    static func parsePreTokenizer(_ value: Any?, fields: TokenizerJSONFields) throws -> PreTokenizer {
        var steps: [PreTokenizer.Step] = []
        var byteLevel = false
        try collectPreTokenizerSteps(value, fields: fields, field: "pre_tokenizer", into: &steps, byteLevel: &byteLevel)
        guard byteLevel else {
            throw fields.unsupported("pre_tokenizer", "without a ByteLevel step (not a byte-level BPE tokenizer)")
        }
        return PreTokenizer(steps: steps)
    }

    private static func collectPreTokenizerSteps(_ value: Any?, fields: TokenizerJSONFields, field: String,
                                                 into steps: inout [PreTokenizer.Step], byteLevel: inout Bool) throws {
        if fields.isNull(value) { return }
        let object = try fields.object(value, field)
        let type = try fields.string(object["type"], "\(field).type")
        switch type {
        case "Sequence":
            for (index, item) in try fields.array(object["pretokenizers"], "\(field).pretokenizers").enumerated() {
                try collectPreTokenizerSteps(item, fields: fields, field: "\(field).pretokenizers[\(index)]",
                                             into: &steps, byteLevel: &byteLevel)
            }
        case "ByteLevel":
            if try fields.bool(object["add_prefix_space"], "\(field).add_prefix_space", default: true) {
                throw fields.unsupported("\(field).add_prefix_space", true)
            }
            if try fields.bool(object["use_regex"], "\(field).use_regex", default: true) {
                steps.append(.gpt2)
            }
            byteLevel = true
        case "Digits":
            let individually = try fields.bool(object["individual_digits"], "\(field).individual_digits", default: false)
            steps.append(.digits(individually: individually))
        case "Split":
            let behavior = try fields.string(object["behavior"], "\(field).behavior")
            guard behavior == "Isolated" else { throw fields.unsupported("\(field).behavior", "\"\(behavior)\"") }
            if try fields.bool(object["invert"], "\(field).invert", default: false) {
                throw fields.unsupported("\(field).invert", true)
            }
            let pattern = try fields.object(object["pattern"], "\(field).pattern")
            guard let regex = pattern["Regex"] as? String else {
                throw fields.unsupported("\(field).pattern", "a literal string pattern")
            }
            if regex == gpt2Pattern {
                steps.append(.gpt2)
            } else if let maxDigits = (1...3).first(where: {
                regex == llama3Pattern(digits: $0 == 1 ? #"\p{N}"# : #"\p{N}{1,\#($0)}"#)
            }) {
                steps.append(.llama3(maxDigits: maxDigits))
            } else {
                throw fields.unsupported("\(field).pattern.Regex", "\"\(regex)\"")
            }
        default:
            throw fields.unsupported("\(field).type", "\"\(type)\"")
        }
    }

    static func checkDecoder(_ value: Any?, fields: TokenizerJSONFields, field: String) throws {
        if fields.isNull(value) { return }
        let object = try fields.object(value, field)
        let type = try fields.string(object["type"], "\(field).type")
        switch type {
        case "ByteLevel":
            return
        case "Sequence":
            for (index, item) in try fields.array(object["decoders"], "\(field).decoders").enumerated() {
                try checkDecoder(item, fields: fields, field: "\(field).decoders[\(index)]")
            }
        default:
            throw fields.unsupported("\(field).type", "\"\(type)\"")
        }
    }

    /// The ids a post-processor puts before and after a single sequence.
    static func parsePostProcessor(_ value: Any?, fields: TokenizerJSONFields,
                                   field: String) throws -> (prefix: [Int32], suffix: [Int32]) {
        if fields.isNull(value) { return ([], []) }
        let object = try fields.object(value, field)
        let type = try fields.string(object["type"], "\(field).type")
        switch type {
        case "ByteLevel":
            return ([], [])
        case "Sequence":
            var prefix: [Int32] = []
            var suffix: [Int32] = []
            for (index, item) in try fields.array(object["processors"], "\(field).processors").enumerated() {
                let part = try parsePostProcessor(item, fields: fields, field: "\(field).processors[\(index)]")
                prefix += part.prefix
                suffix = part.suffix + suffix
            }
            return (prefix, suffix)
        case "TemplateProcessing":
            let specials = fields.isNull(object["special_tokens"]) ? [:]
                : try fields.object(object["special_tokens"], "\(field).special_tokens")
            var prefix: [Int32] = []
            var suffix: [Int32] = []
            var seenSequence = false
            for (index, item) in try fields.array(object["single"], "\(field).single").enumerated() {
                let itemField = "\(field).single[\(index)]"
                let entry = try fields.object(item, itemField)
                if entry["Sequence"] != nil {
                    seenSequence = true
                    continue
                }
                let special = try fields.object(entry["SpecialToken"], "\(itemField).SpecialToken")
                let name = try fields.string(special["id"], "\(itemField).SpecialToken.id")
                let definition = try fields.object(specials[name], "\(field).special_tokens[\"\(name)\"]")
                let ids = try fields.array(definition["ids"], "\(field).special_tokens[\"\(name)\"].ids").map {
                    try fields.tokenID($0, "\(field).special_tokens[\"\(name)\"].ids")
                }
                if seenSequence { suffix += ids } else { prefix += ids }
            }
            return (prefix, suffix)
        default:
            throw fields.unsupported("\(field).type", "\"\(type)\"")
        }
    }

    /// Applies `tokenizer_config.json`: special tokens, add_bos/add_eos, chat template.
    static func applyConfig(_ url: URL, idsByText: [String: Int32], to parts: inout Parts) throws {
        let (fields, root) = try TokenizerJSONFields.load(url)
        func specialID(_ key: String) throws -> Int32? {
            let value = root[key]
            if fields.isNull(value) { return nil }
            let content: String
            if let text = value as? String {
                content = text
            } else {
                content = try fields.string(try fields.object(value, key)["content"], "\(key).content")
            }
            guard let id = idsByText[content] else {
                throw fields.malformed(key, "names \"\(content)\", which is not in the tokenizer's vocabulary")
            }
            return id
        }
        parts.bosTokenID = try specialID("bos_token") ?? parts.bosTokenID
        parts.eosTokenID = try specialID("eos_token") ?? parts.eosTokenID
        parts.padTokenID = try specialID("pad_token") ?? parts.padTokenID
        parts.unknownTokenID = try specialID("unk_token") ?? parts.unknownTokenID
        if !fields.isNull(root["add_bos_token"]) {
            let add = try fields.bool(root["add_bos_token"], "add_bos_token", default: false)
            if add {
                guard let bos = parts.bosTokenID else { throw fields.malformed("bos_token", "is missing but add_bos_token is true") }
                if parts.prefixTokenIDs.first != bos { parts.prefixTokenIDs.insert(bos, at: 0) }
            } else if let bos = parts.bosTokenID {
                parts.prefixTokenIDs.removeAll { $0 == bos }
            }
        }
        if !fields.isNull(root["add_eos_token"]) {
            let add = try fields.bool(root["add_eos_token"], "add_eos_token", default: false)
            if add {
                guard let eos = parts.eosTokenID else { throw fields.malformed("eos_token", "is missing but add_eos_token is true") }
                if parts.suffixTokenIDs.last != eos { parts.suffixTokenIDs.append(eos) }
            } else if let eos = parts.eosTokenID {
                parts.suffixTokenIDs.removeAll { $0 == eos }
            }
        }
        let template = root["chat_template"]
        if let text = template as? String {
            parts.chatTemplate = text
        } else if !fields.isNull(template) {
            let named = try fields.array(template, "chat_template").enumerated().map { index, item in
                let entry = try fields.object(item, "chat_template[\(index)]")
                return (try fields.string(entry["name"], "chat_template[\(index)].name"),
                        try fields.string(entry["template"], "chat_template[\(index)].template"))
            }
            parts.chatTemplate = (named.first { $0.0 == "default" } ?? named.first)?.1
        }
    }
}
