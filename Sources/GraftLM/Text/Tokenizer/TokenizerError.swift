import Foundation

/// Errors raised while building or using a ``BPETokenizer``. Each names its source (a file
/// path or "GGUF tokenizer metadata") and the offending field where there is one.
public enum TokenizerError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// A file could not be read or is not valid JSON.
    case unreadable(source: String, reason: String)
    /// A field is missing, has the wrong type, or holds an impossible value.
    case malformed(source: String, field: String, problem: String)
    /// A field holds a valid value that this tokenizer does not implement.
    case unsupported(source: String, field: String, value: String)
    /// The tokenizer's ids do not fit the model's vocabulary (embedding rows).
    case vocabularyMismatch(tokenizerSize: Int, modelSize: Int, detail: String)
    /// A token id outside the vocabulary was given to the decoder.
    case unknownTokenID(Int32, vocabularySize: Int)

    public var description: String {
        switch self {
        case let .unreadable(source, reason):
            return "cannot read tokenizer file \(source): \(reason)"
        case let .malformed(source, field, problem):
            return "malformed tokenizer in \(source): field '\(field)' \(problem)"
        case let .unsupported(source, field, value):
            return "unsupported tokenizer in \(source): field '\(field)' is \(value), which Graft's byte-level BPE does not implement"
        case let .vocabularyMismatch(tokenizerSize, modelSize, detail):
            return "tokenizer does not match the model: the tokenizer has \(tokenizerSize) token ids, the model's vocabulary size is \(modelSize); \(detail)"
        case let .unknownTokenID(id, size):
            return "token id \(id) is not in the tokenizer's vocabulary (ids 0..<\(size))"
        }
    }

    public var errorDescription: String? { description }
}
