import Graft

/// Chooses tokens from logits with ``SamplingParameters``; random draws come from a
/// ``RandomKey`` seeded with `parameters.seed`, split once per draw, so a seed gives the same
/// tokens on every run.
public struct Sampler {
    /// The parameters in use.
    public let parameters: SamplingParameters
    private var key: RandomKey

    /// A sampler; throws ``ModelError/invalidInput(_:)`` for out-of-range parameters.
    public init(_ parameters: SamplingParameters) throws {
        try parameters.validate()
        self.parameters = parameters
        key = RandomKey(seed: parameters.seed)
    }

    /// The logits after the penalty and the filters (removed tokens at −∞), before sampling.
    /// `history` is every token so far (prompt and generated); the penalty looks at the last
    /// `repetitionWindow` of them.
    public func processedLogits(_ logits: [Float], history: [Int32]) -> [Float] {
        let p = parameters
        var row = logits
        let window = p.repetitionWindow == 0 ? history[...] : history.suffix(p.repetitionWindow)
        LogitsProcessing.applyRepetitionPenalty(&row, history: window, penalty: Float(p.repetitionPenalty))
        if p.isGreedy { return row }
        LogitsProcessing.applyTemperature(&row, temperature: Float(p.temperature))
        LogitsProcessing.applyTopK(&row, k: p.topK)
        LogitsProcessing.applyTopP(&row, p: Float(p.topP))
        LogitsProcessing.applyMinP(&row, minP: Float(p.minP))
        return row
    }

    /// The next token: the argmax when greedy, otherwise a draw from the softmax of the
    /// processed logits.
    public mutating func next(logits: [Float], history: [Int32]) -> Int32 {
        let row = processedLogits(logits, history: history)
        if parameters.isGreedy { return Int32(LogitsProcessing.argmax(row)) }
        let probabilities = LogitsProcessing.softmax(row)
        let (draw, rest) = key.split()
        key = rest
        let u = Float(Tensor.uniform([], key: draw, dtype: .float64).item(Double.self))
        var cumulative: Float = 0
        var last = 0
        for (i, p) in probabilities.enumerated() where p > 0 {
            cumulative += p
            last = i
            if u < cumulative { return Int32(i) }
        }
        return Int32(last)  // rounding left u above the total: the last possible token
    }
}
