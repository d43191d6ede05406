/// How the next token is chosen from the logits. The defaults decode greedily.
///
/// Processing follows transformers' `generate` order: repetition penalty, then temperature,
/// top-k, top-p and min-p; a temperature of 0 picks the most likely token after the penalty.
public struct SamplingParameters: Sendable, Equatable {
    /// Divides the logits; 0 means greedy (argmax).
    public var temperature: Double
    /// Keep only the `topK` most likely tokens (0: off).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches `topP` (1: off).
    public var topP: Double
    /// Drop tokens less likely than `minP` times the most likely one (0: off).
    public var minP: Double
    /// Divides positive and multiplies negative logits of recently seen tokens (1: off).
    public var repetitionPenalty: Double
    /// How many of the most recent tokens (prompt included) the penalty looks at (0: all).
    public var repetitionWindow: Int
    /// Seed of the random key used for sampling.
    public var seed: UInt64

    /// Parameters with every option given or defaulted (greedy, no filters, no penalty).
    public init(temperature: Double = 0, topK: Int = 0, topP: Double = 1, minP: Double = 0,
                repetitionPenalty: Double = 1, repetitionWindow: Int = 64, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.seed = seed
    }

    /// Greedy decoding.
    public static let greedy = SamplingParameters()

    /// Whether the choice is the argmax (no randomness).
    public var isGreedy: Bool { temperature == 0 }

    /// Checks every value is in range.
    /// - Throws: ``ModelError/invalidInput(_:)`` naming the parameter.
    public func validate() throws {
        func fail(_ message: String) -> ModelError { .invalidInput("invalid sampling parameter: " + message) }
        guard temperature >= 0, temperature.isFinite else { throw fail("temperature \(temperature) must be ≥ 0 (0 = greedy)") }
        guard topK >= 0 else { throw fail("top-k \(topK) must be ≥ 0 (0 = off)") }
        guard topP > 0, topP <= 1 else { throw fail("top-p \(topP) must be in (0, 1] (1 = off)") }
        guard minP >= 0, minP < 1 else { throw fail("min-p \(minP) must be in [0, 1) (0 = off)") }
        guard repetitionPenalty > 0, repetitionPenalty.isFinite else {
            throw fail("repetition penalty \(repetitionPenalty) must be > 0 (1 = off)")
        }
        guard repetitionWindow >= 0 else { throw fail("repetition window \(repetitionWindow) must be ≥ 0 (0 = whole history)") }
    }
}
