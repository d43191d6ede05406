/// A problem with a safetensors file (or index); the description names the file.
public struct SafetensorsError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// Fewer than 8 bytes: no header length.
        case truncatedHeader(fileSize: Int)
        /// The header length exceeds the reference limit of 100,000,000 bytes.
        case headerTooLarge(length: UInt64)
        /// The header length points past the end of the file.
        case headerBeyondFile(length: UInt64, fileSize: Int)
        /// The header is not UTF-8 or not the expected JSON object.
        case invalidHeader(String)
        /// A tensor entry is malformed (missing field, negative size, bad metadata...).
        case invalidTensorEntry(tensor: String, reason: String)
        /// A `dtype` string this reader does not know.
        case unknownDType(tensor: String, dtype: String)
        /// Data offsets past the data buffer, overlapping, leaving gaps, or of the wrong size.
        case invalidOffsets(tensor: String, reason: String)
        /// No tensor of that name.
        case tensorNotFound(String)
        /// `floats(_:)` cannot convert this dtype.
        case unsupportedConversion(tensor: String, dtype: SafetensorsDType)
        /// Writer misuse: duplicate name, data size not matching the shape, ...
        case invalidInput(String)
        /// A sharded model's index is malformed or inconsistent with its shards.
        case invalidIndex(String)
        /// The operating system refused to open, map or write the file.
        case io(String)
    }

    /// The file concerned.
    public let file: String
    /// The problem.
    public let kind: Kind

    /// Creates an error about `file`.
    public init(file: String, _ kind: Kind) {
        self.file = file
        self.kind = kind
    }

    public var description: String {
        let detail: String
        switch kind {
        case .truncatedHeader(let size):
            detail = "truncated header: file has \(size) bytes, fewer than the 8-byte header length"
        case .headerTooLarge(let length):
            detail = "header length \(length) exceeds the 100000000-byte limit"
        case .headerBeyondFile(let length, let size):
            detail = "header length \(length) goes beyond the end of the file (\(size) bytes)"
        case .invalidHeader(let reason):
            detail = "invalid header: \(reason)"
        case .invalidTensorEntry(let tensor, let reason):
            detail = "invalid entry for tensor '\(tensor)': \(reason)"
        case .unknownDType(let tensor, let dtype):
            detail = "tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case .invalidOffsets(let tensor, let reason):
            detail = "tensor '\(tensor)' has invalid data offsets: \(reason)"
        case .tensorNotFound(let name):
            detail = "no tensor named '\(name)'"
        case .unsupportedConversion(let tensor, let dtype):
            detail = "tensor '\(tensor)' of dtype \(dtype.rawValue) cannot be converted to Float"
        case .invalidInput(let reason):
            detail = reason
        case .invalidIndex(let reason):
            detail = "invalid sharded index: \(reason)"
        case .io(let reason):
            detail = reason
        }
        return "safetensors file '\(file)': \(detail)"
    }
}
