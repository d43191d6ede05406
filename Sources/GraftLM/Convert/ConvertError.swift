import Foundation

/// Why `graft convert` stopped.
public enum ConvertError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The output exists and `--force` was not given.
    case outputExists(path: String)
    /// The output would overwrite the source.
    case outputIsSource(path: String)
    /// An option value or combination that convert does not accept.
    case invalidOption(String)
    /// A matrix whose rows cannot be split into groups of the requested size.
    case rowLengthNotDivisible(source: String, tensor: String, rows: Int, columns: Int, groupSize: Int)
    /// A source/output combination Graft cannot write.
    case unsupported(String)

    public var description: String {
        switch self {
        case .outputExists(let path):
            return "\(path) already exists; choose another --out or pass --force to replace it"
        case .outputIsSource(let path):
            return "--out \(path) is the source model itself; choose another --out"
        case .invalidOption(let message):
            return message
        case let .rowLengthNotDivisible(source, tensor, rows, columns, groupSize):
            return "\(source): cannot quantize '\(tensor)' [\(rows), \(columns)] in groups of \(groupSize): its row length \(columns) "
                + "is not a multiple of \(groupSize) (choose a --group-size that divides \(columns))"
        case .unsupported(let message):
            return message
        }
    }

    public var errorDescription: String? { description }
}
