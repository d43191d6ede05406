import Foundation

/// The logits transformations of sampling, each matching the transformers logits processor of
/// the same name. Removed tokens are set to −∞. They work in place on one row of logits.
public enum LogitsProcessing {
    /// `RepetitionPenaltyLogitsProcessor`: for every distinct id in `history`, a positive logit
    /// is divided by `penalty` and a negative one multiplied by it.
    public static func applyRepetitionPenalty(_ logits: inout [Float], history: some Collection<Int32>, penalty: Float) {
        guard penalty != 1 else { return }
        var seen = Set<Int32>()
        for id in history where id >= 0 && Int(id) < logits.count && seen.insert(id).inserted {
            let v = logits[Int(id)]
            logits[Int(id)] = v < 0 ? v * penalty : v / penalty
        }
    }

    /// `TemperatureLogitsWarper`: divides every logit by `temperature` (> 0).
    public static func applyTemperature(_ logits: inout [Float], temperature: Float) {
        guard temperature != 1 else { return }
        logits.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] /= temperature } }
    }

    /// `TopKLogitsWarper`: removes every logit below the k-th largest (ties with it stay).
    public static func applyTopK(_ logits: inout [Float], k: Int) {
        guard k > 0, k < logits.count else { return }
        var sorted = logits
        sorted.sort(by: >)
        let threshold = sorted[k - 1]
        logits.withUnsafeMutableBufferPointer { p in for i in p.indices where p[i] < threshold { p[i] = -.infinity } }
    }

    /// `TopPLogitsWarper`: keeps the most likely tokens whose probabilities sum to at least `p`
    /// (always at least one). With tokens in ascending order of logit, a token is removed when the
    /// cumulative probability up to and including it is ≤ 1 − p.
    public static func applyTopP(_ logits: inout [Float], p: Float) {
        guard p < 1 else { return }
        let probabilities = softmax(logits)
        let order = logits.indices.filter { logits[$0] > -.infinity }.sorted { logits[$0] < logits[$1] }
        var cumulative: Float = 0
        for (rank, index) in order.enumerated() where rank < order.count - 1 {
            cumulative += probabilities[index]
            if cumulative <= 1 - p { logits[index] = -.infinity } else { break }
        }
    }

    /// `MinPLogitsWarper`: removes tokens whose probability is below `minP` times the largest
    /// probability (the most likely token always stays).
    public static func applyMinP(_ logits: inout [Float], minP: Float) {
        guard minP > 0 else { return }
        let probabilities = softmax(logits)
        guard let top = probabilities.max() else { return }
        let threshold = minP * top
        let best = argmax(logits)
        for i in logits.indices where probabilities[i] < threshold && i != best { logits[i] = -.infinity }
    }

    /// Probabilities of a row of logits (−∞ gives 0), computed in float32.
    public static func softmax(_ logits: [Float]) -> [Float] {
        guard let m = logits.max(), m > -.infinity else { return [Float](repeating: 0, count: logits.count) }
        var out = logits.map { $0 == -.infinity ? 0 : expf($0 - m) }
        let sum = out.reduce(0, +)
        for i in out.indices { out[i] /= sum }
        return out
    }

    /// Index of the largest logit (the first on ties).
    public static func argmax(_ logits: [Float]) -> Int {
        var best = 0
        logits.withUnsafeBufferPointer { p in
            for i in p.indices where p[i] > p[best] { best = i }
        }
        return best
    }
}
