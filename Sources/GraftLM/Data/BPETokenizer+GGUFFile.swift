import GraftIO

extension BPETokenizer {
    /// Builds the tokenizer (and keeps the chat template) from a GGUF file's `tokenizer.*`
    /// metadata: `tokenizer.ggml.model` must be "gpt2" (byte-level BPE); tokens, merges,
    /// token types, special ids, add-BOS/EOS flags and `tokenizer.ggml.pre` go to the array
    /// initializer; `tokenizer.chat_template` becomes ``chatTemplate``.
    /// - Throws: ``TokenizerError`` naming the GGUF file and key at fault (missing or
    ///   unsupported model, missing tokens, merges or pre-tokenizer), or `GGUFError` for a key of the wrong type.
    public init(gguf file: GGUFFile) throws {
        let source = "GGUF file \(file.path)"
        guard let model = try file.string("tokenizer.ggml.model") else {
            throw TokenizerError.malformed(source: source, field: "tokenizer.ggml.model",
                                           problem: "is missing: the file carries no tokenizer")
        }
        guard model == "gpt2" else {
            throw TokenizerError.unsupported(source: source, field: "tokenizer.ggml.model", value: "\"\(model)\"")
        }
        guard let tokens = try file.stringArray("tokenizer.ggml.tokens") else {
            throw TokenizerError.malformed(source: source, field: "tokenizer.ggml.tokens", problem: "is missing")
        }
        guard let merges = try file.stringArray("tokenizer.ggml.merges") else {
            throw TokenizerError.malformed(source: source, field: "tokenizer.ggml.merges", problem: "is missing")
        }
        guard let pre = try file.string("tokenizer.ggml.pre") else {
            throw TokenizerError.malformed(source: source, field: "tokenizer.ggml.pre",
                                           problem: "is missing, so the pre-tokenizer is unknown")
        }
        let tokenTypes = try file.intArray("tokenizer.ggml.token_type").map { $0.map { Int32(truncatingIfNeeded: $0) } }
        func id(_ key: String) throws -> Int32? {
            guard let value = try file.int("tokenizer.ggml.\(key)") else { return nil }
            guard let id = Int32(exactly: value) else {
                throw TokenizerError.malformed(source: source, field: "tokenizer.ggml.\(key)", problem: "holds \(value), not a token id")
            }
            return id
        }
        try self.init(tokens: tokens, merges: merges, tokenTypes: tokenTypes,
                      bosTokenID: try id("bos_token_id"), eosTokenID: try id("eos_token_id"),
                      padTokenID: try id("padding_token_id"), unknownTokenID: try id("unknown_token_id"),
                      addBOS: try file.bool("tokenizer.ggml.add_bos_token"),
                      addEOS: try file.bool("tokenizer.ggml.add_eos_token"),
                      preTokenizer: pre,
                      chatTemplate: try file.string("tokenizer.chat_template"))
    }
}
