import GraftIO

extension BPETokenizer {
    /// The byte-level BPE tokenizer stored in a GGUF file's `tokenizer.*` metadata
    /// (formats.md §2; `tokenizer.ggml.model` must be "gpt2").
    /// - Throws: ``TokenizerError`` whose source is the file's path, or the ``GGUFError`` of a
    ///   metadata value of the wrong type.
    public init(gguf file: GGUFFile) throws {
        let source = file.path
        let model = try file.string("tokenizer.ggml.model")
        guard model == "gpt2" else {
            throw TokenizerError.unsupported(source: source, field: "tokenizer.ggml.model",
                                             value: model.map { "\"\($0)\"" } ?? "absent")
        }
        guard let tokens = try file.stringArray("tokenizer.ggml.tokens") else {
            throw TokenizerError.malformed(source: source, field: "tokenizer.ggml.tokens", problem: "is missing")
        }
        guard let merges = try file.stringArray("tokenizer.ggml.merges") else {
            throw TokenizerError.malformed(source: source, field: "tokenizer.ggml.merges", problem: "is missing")
        }
        func id(_ key: String) throws -> Int32? { try file.int(key).map { Int32(truncatingIfNeeded: $0) } }
        do {
            try self.init(tokens: tokens, merges: merges,
                          tokenTypes: try file.intArray("tokenizer.ggml.token_type")?.map { Int32(truncatingIfNeeded: $0) },
                          bosTokenID: try id("tokenizer.ggml.bos_token_id"), eosTokenID: try id("tokenizer.ggml.eos_token_id"),
                          padTokenID: try id("tokenizer.ggml.padding_token_id"),
                          unknownTokenID: try id("tokenizer.ggml.unknown_token_id"),
                          addBOS: try file.bool("tokenizer.ggml.add_bos_token"),
                          addEOS: try file.bool("tokenizer.ggml.add_eos_token"),
                          preTokenizer: try file.string("tokenizer.ggml.pre") ?? "default",
                          chatTemplate: try file.string("tokenizer.chat_template"))
        } catch let error as TokenizerError {
            // The array initializer names its source generically; name the file instead.
            switch error {
            case let .malformed(_, field, problem): throw TokenizerError.malformed(source: source, field: field, problem: problem)
            case let .unsupported(_, field, value): throw TokenizerError.unsupported(source: source, field: field, value: value)
            case let .unreadable(_, reason): throw TokenizerError.unreadable(source: source, reason: reason)
            default: throw error
            }
        }
    }
}
