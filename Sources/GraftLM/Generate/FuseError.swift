import Foundation

/// Why `graft fuse` or `graft export-adapter` stopped.
public enum FuseError: Error, CustomStringConvertible, LocalizedError {
    /// The output exists and `--force` was not given.
    case outputExists(path: String)
    /// Storing (re-quantizing or rounding) erased most of the adapters' effect on the logits.
    case effectLost(measurement: FuseEffectMeasurement, report: FuseQuantizationReport, storage: String)
    /// An option combination or model that the chosen output cannot represent.
    case unsupported(String)

    public var description: String {
        switch self {
        case .outputExists(let path):
            return "\(path) already exists; choose another --output or pass --force to replace it"
        case let .effectLost(measurement, report, storage):
            let weights = report.layers.isEmpty ? "" : report.summary + "\n"
            return """
            \(weights)\(measurement.summary)
            refusing to fuse: stored as \(storage), the fused model keeps only \(String(format: "%.1f", 100 * measurement.kept))% \
            of the adapters' effect on the next-token distributions (below \(Int(100 * FuseEffectMeasurement.minimumKept))%), \
            so it would behave much like the base model. Use --quantize 8, or a float output (--dtype f32, f16 or bf16), \
            or pass --force to write it anyway.
            """
        case .unsupported(let message):
            return message
        }
    }

    public var errorDescription: String? { description }
}
