import Foundation

/// How much of an adapter's change survives re-quantization of one fused weight.
public struct FusedDeltaMeasurement: Sendable, Equatable {
    /// The weight's key path.
    public let key: String
    /// `‖δ‖` of the intended change `δ = W' − W` (Frobenius norm).
    public let deltaNorm: Double
    /// `‖Q(W') − W'‖`: the rounding error the quantization grid adds.
    public let quantizationErrorNorm: Double
    /// `⟨Q(W') − W, δ⟩ / ‖δ‖²`: the fraction of the change the stored weight really makes
    /// (1 = kept, 0 = erased by the grid).
    public let retained: Double

    /// Measures `fused` (W′) against `base` (W) and the stored `quantized` values (Q(W′)).
    public init(key: String, base: [Float], fused: [Float], quantized: [Float]) {
        precondition(base.count == fused.count && fused.count == quantized.count)
        var dd = 0.0, ee = 0.0, kept = 0.0
        for i in base.indices {
            let delta = Double(fused[i]) - Double(base[i])
            let error = Double(quantized[i]) - Double(fused[i])
            dd += delta * delta
            ee += error * error
            kept += (Double(quantized[i]) - Double(base[i])) * delta
        }
        self.key = key
        deltaNorm = dd.squareRoot()
        quantizationErrorNorm = ee.squareRoot()
        retained = dd > 0 ? kept / dd : 1
    }

    /// `‖δ‖ / ‖Q(W') − W'‖`: below ~1 the change is no larger than the rounding noise.
    public var deltaToErrorRatio: Double { quantizationErrorNorm > 0 ? deltaNorm / quantizationErrorNorm : .infinity }
}

/// The measurements of every re-quantized fused weight, and the verdict.
public struct FuseQuantizationReport: Sendable, Equatable {
    /// One entry per re-quantized adapted weight.
    public let layers: [FusedDeltaMeasurement]

    /// Below this overall retained fraction the adapter's effect counts as lost.
    public static let minimumRetained = 0.5

    /// A report over `layers`.
    public init(layers: [FusedDeltaMeasurement]) { self.layers = layers }

    /// `Σ⟨Q(W') − W, δ⟩ / Σ‖δ‖²` over all weights: the fraction of the whole change kept.
    public var retained: Double {
        let total = layers.reduce(0.0) { $0 + $1.deltaNorm * $1.deltaNorm }
        guard total > 0 else { return 1 }
        return layers.reduce(0.0) { $0 + $1.retained * $1.deltaNorm * $1.deltaNorm } / total
    }

    /// Whether the quantization grid erased most of the adapter's change.
    public var deltaVanishes: Bool { !layers.isEmpty && retained < Self.minimumRetained }

    /// A table for the terminal: per weight, the change, the rounding error, and what is kept.
    public var summary: String {
        var lines = ["weight                                      ‖delta‖   ‖quant err‖   ratio   kept"]
        for m in layers {
            let name = m.key.count > 42 ? String(m.key.suffix(42)) : m.key.padding(toLength: 42, withPad: " ", startingAt: 0)
            lines.append(name + String(format: " %9.4f  %11.4f  %6.2f  %5.1f%%", m.deltaNorm, m.quantizationErrorNorm,
                                       m.deltaToErrorRatio, 100 * m.retained))
        }
        lines.append(String(format: "overall: %.1f%% of the adapter's change survives re-quantization", 100 * retained))
        return lines.joined(separator: "\n")
    }
}
