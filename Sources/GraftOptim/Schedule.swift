import Foundation

/// A learning-rate schedule: an optional linear warmup, then a constant rate, a cosine decay or a
/// linear decay down to a minimum.
///
/// Step convention (Hugging Face's `get_*_schedule_with_warmup` on a `LambdaLR` stepped after
/// every optimizer step, which is also PyTorch's convention): `learningRate(at: s)` is the rate
/// of the update made when `s` updates have already been made, so update k (k = 1, 2, …) uses
/// `learningRate(at: k − 1)`. With `W` warmup steps and `N` total steps, `p = (s − W) / max(1, N − W)`:
///
/// * `s < W`: `warmupInit + (peak − warmupInit) · s / W` (starts at `warmupInit`, 0 by default,
///   so the first update uses lr 0 like Hugging Face's schedules; reaches `peak` at `s = W`);
/// * `s ≥ W`, constant: `peak`;
/// * `s ≥ W`, cosine: `peak · (f·(1 − r) + r)` with `f = ½(1 + cos(π·p))`, `r = minimum / peak`;
/// * `s ≥ W`, linear: `peak · (f·(1 − r) + r)` with `f = max(0, (N − s) / max(1, N − W))`.
///
/// `p` is clamped to 1 past the end, so the rate stays at `minimum` (Hugging Face's cosine would
/// rise again after `N`). mlx-lm differs: its `join_schedules` starts the decay one step later
/// (see formats.md §9.3); this type does not reproduce that offset.
public struct LearningRateSchedule: Sendable, Equatable, CustomStringConvertible {
    /// What follows the warmup.
    public enum Decay: String, Sendable, CaseIterable {
        /// The peak rate until the end.
        case constant
        /// Half a cosine from the peak down to the minimum over the steps after warmup.
        case cosine
        /// A straight line from the peak down to the minimum over the steps after warmup.
        case linear
    }

    /// The shape after warmup.
    public let decay: Decay
    /// The rate reached at the end of warmup (the optimizer's base learning rate).
    public let peak: Double
    /// Number of warmup updates `W` (0: no warmup).
    public let warmupSteps: Int
    /// The rate of the first warmup update.
    public let warmupInit: Double
    /// Total number of updates `N` of the run (the decay ends there).
    public let totalSteps: Int
    /// The rate reached at the end of a cosine or linear decay.
    public let minimum: Double

    /// A schedule; `minimum` is ignored by `.constant`. Invalid values (negative rates or steps,
    /// `minimum > peak`, `warmupInit > peak`) are programming errors: recipes validate them first.
    public init(decay: Decay, peak: Double, warmupSteps: Int = 0, warmupInit: Double = 0,
                totalSteps: Int, minimum: Double = 0) {
        precondition(peak >= 0 && peak.isFinite, "LearningRateSchedule: peak must be a finite rate ≥ 0, got \(peak)")
        precondition(warmupSteps >= 0 && totalSteps >= 0, "LearningRateSchedule: step counts must be ≥ 0")
        precondition(warmupInit >= 0 && warmupInit <= peak, "LearningRateSchedule: warmupInit must be in [0, peak]")
        precondition(minimum >= 0 && minimum <= peak, "LearningRateSchedule: minimum must be in [0, peak]")
        self.decay = decay
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.warmupInit = warmupInit
        self.totalSteps = totalSteps
        self.minimum = decay == .constant ? peak : minimum
    }

    /// A constant rate, optionally after a linear warmup.
    public static func constant(_ rate: Double, warmupSteps: Int = 0, warmupInit: Double = 0) -> LearningRateSchedule {
        LearningRateSchedule(decay: .constant, peak: rate, warmupSteps: warmupSteps, warmupInit: warmupInit,
                             totalSteps: warmupSteps)
    }

    /// Linear warmup to `peak`, then cosine decay to `minimum` at `totalSteps`.
    public static func cosine(peak: Double, warmupSteps: Int = 0, totalSteps: Int, minimum: Double = 0,
                              warmupInit: Double = 0) -> LearningRateSchedule {
        LearningRateSchedule(decay: .cosine, peak: peak, warmupSteps: warmupSteps, warmupInit: warmupInit,
                             totalSteps: totalSteps, minimum: minimum)
    }

    /// Linear warmup to `peak`, then linear decay to `minimum` at `totalSteps`.
    public static func linear(peak: Double, warmupSteps: Int = 0, totalSteps: Int, minimum: Double = 0,
                              warmupInit: Double = 0) -> LearningRateSchedule {
        LearningRateSchedule(decay: .linear, peak: peak, warmupSteps: warmupSteps, warmupInit: warmupInit,
                             totalSteps: totalSteps, minimum: minimum)
    }

    /// The rate of the update made after `step` updates (`step` ≥ 0).
    public func learningRate(at step: Int) -> Double {
        let s = Swift.max(step, 0)
        if s < warmupSteps {
            let fraction = Double(s) / Double(warmupSteps)
            return warmupInit == 0 ? peak * fraction : warmupInit + (peak - warmupInit) * fraction
        }
        let span = Double(Swift.max(1, totalSteps - warmupSteps))
        let factor: Double
        switch decay {
        case .constant:
            return peak
        case .cosine:
            let progress = Swift.min(1, Double(s - warmupSteps) / span)
            factor = 0.5 * (1 + cos(Double.pi * progress))
        case .linear:
            factor = Swift.max(0, Double(totalSteps - s) / span)
        }
        if minimum == 0 { return peak * factor }
        let ratio = minimum / peak
        return peak * (factor * (1 - ratio) + ratio)
    }

    /// Sets the optimizer's rate for its next update: `learningRate(at: optimizer.step)`.
    /// Call it before every `update`.
    public func apply(to optimizer: any Optimizer) {
        optimizer.learningRate = learningRate(at: optimizer.step)
    }

    /// For example `cosine: warmup 10 steps from 0 to 0.0001, then to 0 at step 200`.
    public var description: String {
        let warm = warmupSteps > 0 ? "warmup \(warmupSteps) steps from \(warmupInit) to \(peak), then " : ""
        switch decay {
        case .constant: return "constant: \(warm)\(peak)"
        case .cosine, .linear:
            return "\(decay.rawValue): \(warm)\(warmupSteps > 0 ? "" : "from \(peak) ")to \(minimum) at step \(totalSteps)"
        }
    }
}
