import Foundation

/// How a model stretches its rotary position embedding beyond the context it was trained on.
///
/// Each case changes the per-pair inverse frequencies `θ_i = base^(−2i/dims)` (i in
/// 0..<dims/2); positions and the rotation itself are unchanged.
public enum RoPEScaling: Sendable, Equatable {
    /// Positions divided by `factor` (Hugging Face `rope_type: "linear"`), i.e. every inverse
    /// frequency divided by `factor`.
    case linear(factor: Double)
    /// Llama 3.1's frequency-dependent scaling (Hugging Face `rope_type: "llama3"`): wavelengths
    /// longer than `originalContextLength / lowFrequencyFactor` are divided by `factor`, those
    /// shorter than `originalContextLength / highFrequencyFactor` are kept, and the band in
    /// between is interpolated smoothly.
    case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalContextLength: Int)
    /// Per-pair divisors stored in a GGUF's `rope_freqs.weight` (llama.cpp's "freq factors").
    case frequencyFactors([Double])

    /// The inverse frequencies for `dims` rotated dimensions and base `theta`, with this
    /// scaling applied (`nil` scaling gives the plain table).
    ///
    /// The plain table is computed in float32 the way Hugging Face's `_compute_default_rope_parameters`
    /// does (`1 / theta^(2i/dims)`), so angles match transformers to the last bit of the table.
    public static func inverseFrequencies(theta: Double, dims: Int, scaling: RoPEScaling?) -> [Double] {
        let half = dims / 2
        let plain: [Double] = (0..<half).map { i in
            let exponent = Float(2 * i) / Float(dims)
            return Double(Float(1) / Foundation.powf(Float(theta), exponent))
        }
        guard let scaling else { return plain }
        switch scaling {
        case .linear(let factor):
            return plain.map { $0 / factor }
        case .frequencyFactors(let factors):
            return zip(plain, factors).map { $0 / $1 }
        case let .llama3(factor, low, high, original):
            let lowWavelength = Double(original) / low
            let highWavelength = Double(original) / high
            return plain.map { inv in
                let wavelength = 2 * Double.pi / inv
                if wavelength < highWavelength { return inv }
                if wavelength > lowWavelength { return inv / factor }
                let smooth = (Double(original) / wavelength - low) / (high - low)
                return (1 - smooth) * inv / factor + smooth * inv
            }
        }
    }
}
