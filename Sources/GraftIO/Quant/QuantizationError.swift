/// Errors of the pure conversion routines (no file involved; `GGUFFile` wraps them with its path).
public enum QuantizationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The ggml type has no conversion to the requested target.
    case unsupportedType(GGMLType, target: String)
    /// The byte buffer does not have the size the type and element count imply.
    case byteCountMismatch(type: GGMLType, elementCount: Int, expected: Int, actual: Int)
    /// A shape or parameter is not acceptable (row length not a multiple of the group, bad bits, …).
    case invalidParameters(String)

    public var description: String {
        switch self {
        case let .unsupportedType(type, target):
            return "ggml type \(type) cannot be converted to \(target)"
        case let .byteCountMismatch(type, count, expected, actual):
            return "\(count) elements of \(type) need \(expected) bytes, got \(actual)"
        case let .invalidParameters(reason):
            return "invalid quantization parameters: \(reason)"
        }
    }
}
