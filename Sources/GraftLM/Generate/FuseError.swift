import Foundation

/// Why `graft fuse` or `graft export-adapter` stopped.
public enum FuseError: Error, CustomStringConvertible, LocalizedError {
    /// The output exists and `--force` was not given.
    case outputExists(path: String)
    /// Re-quantizing erased most of the adapter's change.
    case deltaVanishes(report: FuseQuantizationReport, bits: String)
    /// An option combination or model that the chosen output cannot represent.
    case unsupported(String)

    public var description: String {
        switch self {
        case .outputExists(let path):
            return "\(path) already exists; choose another --output or pass --force to replace it"
        case let .deltaVanishes(report, bits):
            return """
            \(report.summary)
            refusing to fuse: re-quantizing to \(bits) keeps only \(String(format: "%.1f", 100 * report.retained))% of the adapter's change \
            (its delta is below one step of the quantization grid), so the fused model would behave like the base model. \
            Use --dequantize (float32) or --quantize 8, or pass --force to write it anyway.
            """
        case .unsupported(let message):
            return message
        }
    }

    public var errorDescription: String? { description }
}
