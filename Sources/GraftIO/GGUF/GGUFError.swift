import Foundation

/// Everything that can go wrong reading or writing a GGUF file. Every case names the file, and
/// `description` says what is wrong in plain words.
public enum GGUFError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be opened, inspected or mapped (permissions, a directory, …).
    case cannotOpen(path: String, reason: String)
    /// The first four bytes are not `GGUF`.
    case badMagic(path: String, found: [UInt8])
    /// The header's version is not 2 or 3.
    case unsupportedVersion(path: String, version: UInt32)
    /// A header field is implausible (e.g. a tensor or metadata count beyond 2³¹).
    case invalidHeader(path: String, reason: String)
    /// The file ends in the middle of a structure. `section` says which one (header, a metadata
    /// record, a tensor-info record); `offset` is where the read started, `needed` its length.
    case truncated(path: String, section: String, offset: Int, needed: Int, fileSize: Int)
    /// A tensor's bytes run past the end of the file. `tensor` is the first tensor (in file
    /// order) that does not fit, `end` the offset just past its last byte, `requiredFileSize`
    /// the size the file needs to hold every tensor.
    case tensorDataPastEnd(path: String, tensor: String, end: Int, fileSize: Int, requiredFileSize: Int)
    /// A tensor-info record uses a ggml type id Graft does not know.
    case unknownGGMLType(path: String, tensor: String, typeID: UInt32)
    /// A metadata record is malformed (unknown value type, nested array, bad bool, duplicate key, …).
    case invalidMetadata(path: String, key: String, reason: String)
    /// A tensor-info record is malformed (dimension count, misaligned offset, partial block, …).
    case invalidTensorInfo(path: String, tensor: String, reason: String)
    /// A metadata key was required but is absent.
    case missingKey(path: String, key: String)
    /// A metadata key holds a value of another type than the accessor asked for.
    case typeMismatch(path: String, key: String, expected: String, found: String)
    /// No tensor has this name.
    case tensorNotFound(path: String, name: String)
    /// A tensor's type cannot be converted as asked (e.g. an IQ type to floats).
    case unsupportedConversion(path: String, tensor: String, type: GGMLType, target: String)
    /// A conversion of a tensor failed for another reason (parameters do not fit its shape, …).
    case conversionFailed(path: String, tensor: String, reason: String)
    /// A tensor given to `GGUFWriter` is inconsistent (name, shape, type and byte count disagree).
    case invalidWriterInput(tensor: String, reason: String)
    /// Writing failed (I/O error, or the writer's metadata contradicts its alignment).
    case writeFailed(path: String, reason: String)

    /// Bytes missing for `tensorDataPastEnd` (how far the tensor's end lies past the file's end).
    public var missingByteCount: Int? {
        if case let .tensorDataPastEnd(_, _, end, fileSize, _) = self { return end - fileSize }
        return nil
    }

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "GGUF file not found: \(path)"
        case let .cannotOpen(path, reason):
            return "cannot open GGUF file \(path): \(reason)"
        case let .badMagic(path, found):
            let hex = found.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            return "\(path) is not a GGUF file: bad magic [\(hex)] (expected 47 47 55 46, \"GGUF\")"
        case let .unsupportedVersion(path, version):
            return "\(path): unsupported GGUF version \(version) (Graft reads versions 2 and 3)"
        case let .invalidHeader(path, reason):
            return "\(path): invalid GGUF header: \(reason)"
        case let .truncated(path, section, offset, needed, fileSize):
            return "\(path) is truncated: \(section) needs \(needed) bytes at offset \(offset), "
                + "but the file has only \(fileSize) bytes"
        case let .tensorDataPastEnd(path, tensor, end, fileSize, required):
            return "\(path) is truncated: the data of tensor '\(tensor)' ends at byte \(end), "
                + "\(end - fileSize) bytes past the end of the file (\(fileSize) bytes); "
                + "all tensor data needs \(required) bytes"
        case let .unknownGGMLType(path, tensor, typeID):
            return "\(path): tensor '\(tensor)' has unknown ggml type id \(typeID)"
        case let .invalidMetadata(path, key, reason):
            return "\(path): invalid metadata record '\(key)': \(reason)"
        case let .invalidTensorInfo(path, tensor, reason):
            return "\(path): invalid tensor-info record for '\(tensor)': \(reason)"
        case let .missingKey(path, key):
            return "\(path): required metadata key '\(key)' is missing"
        case let .typeMismatch(path, key, expected, found):
            return "\(path): metadata key '\(key)' holds \(found), expected \(expected)"
        case let .tensorNotFound(path, name):
            return "\(path): no tensor named '\(name)'"
        case let .unsupportedConversion(path, tensor, type, target):
            return "\(path): tensor '\(tensor)' of type \(type) cannot be converted to \(target)"
        case let .conversionFailed(path, tensor, reason):
            return "\(path): cannot convert tensor '\(tensor)': \(reason)"
        case let .invalidWriterInput(tensor, reason):
            return "cannot add tensor '\(tensor)' to a GGUF writer: \(reason)"
        case let .writeFailed(path, reason):
            return "cannot write GGUF file \(path): \(reason)"
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

extension GGUFError: LocalizedError {
    /// Same text as `description`, so `localizedDescription` is informative too.
    public var errorDescription: String? { description }
}
