extension BPETokenizer {
    /// Builds a tokenizer from the arrays and values of GGUF tokenizer metadata
    /// (`tokenizer.ggml.model == "gpt2"`).
    ///
    /// - Parameters:
    ///   - tokens: `tokenizer.ggml.tokens`, token text by id in byte-level form.
    ///   - merges: `tokenizer.ggml.merges` in rank order, each "left right" (split at the first
    ///     space that is not the first character).
    ///   - tokenTypes: `tokenizer.ggml.token_type` (3 control → special added token,
    ///     4 user-defined → non-special added token). When nil, the BOS/EOS/PAD/UNK ids are
    ///     treated as special added tokens.
    ///   - bosTokenID, eosTokenID, padTokenID, unknownTokenID: the special ids, if present.
    ///     The unknown id is not used for bytes missing from the vocabulary: those are dropped,
    ///     as llama.cpp and Hugging Face do for these models.
    ///   - addBOS, addEOS: `tokenizer.ggml.add_bos_token` / `add_eos_token`; nil means absent,
    ///     in which case the Llama-3 family adds BOS (llama.cpp's default) and others add nothing.
    ///   - preTokenizer: `tokenizer.ggml.pre`, e.g. "smollm", "llama-bpe", "qwen2", "gpt-2"
    ///     (the "qwen2" family also NFC-normalizes text, as Qwen2's tokenizer.json does).
    ///   - ignoreMerges: emit a piece that is itself a token without merging; nil means the
    ///     family default (on for Llama 3, as llama.cpp does).
    ///   - chatTemplate: `tokenizer.chat_template`, kept for the chat-template renderer.
    /// - Throws: ``TokenizerError`` naming the GGUF key at fault.
    public init(tokens: [String], merges: [String], tokenTypes: [Int32]?,
                bosTokenID: Int32?, eosTokenID: Int32?, padTokenID: Int32? = nil,
                unknownTokenID: Int32? = nil, addBOS: Bool? = nil, addEOS: Bool? = nil,
                preTokenizer preName: String, ignoreMerges: Bool? = nil,
                chatTemplate: String? = nil) throws {
        let source = "GGUF tokenizer metadata"
        guard !tokens.isEmpty else {
            throw TokenizerError.malformed(source: source, field: "tokenizer.ggml.tokens", problem: "is empty")
        }
        guard let preTokenizer = PreTokenizer(ggufName: preName) else {
            throw TokenizerError.unsupported(source: source, field: "tokenizer.ggml.pre", value: "\"\(preName)\"")
        }
        if let tokenTypes, tokenTypes.count != tokens.count {
            throw TokenizerError.malformed(source: source, field: "tokenizer.ggml.token_type",
                                           problem: "has \(tokenTypes.count) entries for \(tokens.count) tokens")
        }
        var splitMerges: [(left: String, right: String)] = []
        splitMerges.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let scalars = merge.unicodeScalars
            guard let space = scalars.dropFirst().firstIndex(of: " ") else {
                throw TokenizerError.malformed(source: source, field: "tokenizer.ggml.merges[\(rank)]",
                                               problem: "\"\(merge)\" has no separating space")
            }
            splitMerges.append((String(scalars[..<space]), String(scalars[scalars.index(after: space)...])))
        }
        var added: [AddedToken] = []
        if let tokenTypes {
            for (id, type) in tokenTypes.enumerated() where type == 3 || type == 4 {
                added.append(AddedToken(id: Int32(id), content: tokens[id], special: type == 3))
            }
        } else {
            var seen = Set<Int32>()
            for id in [bosTokenID, eosTokenID, padTokenID, unknownTokenID].compactMap({ $0 })
            where id >= 0 && Int(id) < tokens.count && seen.insert(id).inserted {
                added.append(AddedToken(id: id, content: tokens[Int(id)], special: true))
            }
        }
        let isLlama3 = preTokenizer == .llama3
        let addsBOS = addBOS ?? isLlama3
        let addsEOS = addEOS ?? false
        if addsBOS && bosTokenID == nil {
            throw TokenizerError.malformed(source: source, field: "tokenizer.ggml.bos_token_id",
                                           problem: "is missing but add_bos_token asks for it")
        }
        if addsEOS && eosTokenID == nil {
            throw TokenizerError.malformed(source: source, field: "tokenizer.ggml.eos_token_id",
                                           problem: "is missing but add_eos_token asks for it")
        }
        var parts = Parts(source: source, tokenTexts: tokens.map { Optional($0) }, merges: splitMerges,
                          mergesField: "tokenizer.ggml.merges", addedTokens: added, preTokenizer: preTokenizer)
        parts.ignoreMerges = ignoreMerges ?? isLlama3
        // Qwen2's tokenizer.json normalizes to NFC; the GGUF does not record it, so apply it
        // for that family to match the original tokenizer.
        parts.normalizesNFC = preTokenizer == .qwen2
        parts.prefixTokenIDs = addsBOS ? [bosTokenID!] : []
        parts.suffixTokenIDs = addsEOS ? [eosTokenID!] : []
        parts.bosTokenID = bosTokenID
        parts.eosTokenID = eosTokenID
        parts.padTokenID = padTokenID
        parts.unknownTokenID = unknownTokenID
        parts.chatTemplate = chatTemplate
        try self.init(parts: parts)
    }
}
