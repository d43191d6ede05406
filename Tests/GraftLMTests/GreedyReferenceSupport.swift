import Foundation
import Graft
import GraftLM
import XCTest

/// Greedy continuations recorded by another tool (llama.cpp, mlx-lm) and the comparisons the
/// interoperability tests make against them.
enum GreedyReference {
    /// One prompt and the tool's greedy continuation, with the tool's best ids and logits at
    /// every step (`topIDs[s][0] == greedyIDs[s]`).
    struct Case: Decodable {
        let name: String
        let promptIDs: [Int32]
        let greedyIDs: [Int32]
        let topIDs: [[Int32]]
        let topLogits: [[Float]]
        /// How far exact float32 arithmetic (transformers) lands from the tool's `topLogits`
        /// along the tool's continuation, when the script measured it.
        let float32Distance: Distance?

        /// Max and mean |Δlogit| over the recorded best logits of every step.
        struct Distance: Decodable {
            let maxAbs: Float
            let meanAbs: Float

            enum CodingKeys: String, CodingKey { case maxAbs = "max_abs", meanAbs = "mean_abs" }
        }

        enum CodingKeys: String, CodingKey {
            case name
            case promptIDs = "prompt_ids", greedyIDs = "greedy_ids", topIDs = "top_ids", topLogits = "top_logits"
            case float32Distance = "float32_vs_llamacpp"
        }

        /// The tool's logit gap between its choice and `token` at `step` (nil when `token` is not
        /// among the recorded best ids).
        func margin(step: Int, to token: Int32) -> Float? {
            guard let k = topIDs[step].firstIndex(of: token) else { return nil }
            return topLogits[step][0] - topLogits[step][k]
        }
    }

    /// Where Graft's free-running greedy ids first leave the tool's (nil: never, within the
    /// recorded tokens).
    static func firstDrift(_ graft: [Int32], _ tool: [Int32]) -> Int? {
        zip(graft, tool).enumerated().first { $0.element.0 != $0.element.1 }?.offset
    }

    /// Graft's logits at every step of the tool's own continuation (teacher forcing): one
    /// pass over the prompt and the first `greedyIDs.count − 1` tool ids; row `s` predicts step `s`.
    static func logitsAlongToolPath(_ c: Case, step: ([Int32], KVCache) throws -> Tensor, layerCount: Int) throws -> [[Float]] {
        let tokens = c.promptIDs + c.greedyIDs.dropLast()
        let logits = try step(tokens, KVCache(layerCount: layerCount))
        let vocabulary = logits.shape[1]
        let values = logits.toArray(as: Float.self)
        return (0..<c.greedyIDs.count).map { s in
            let row = c.promptIDs.count - 1 + s
            return Array(values[(row * vocabulary)..<((row + 1) * vocabulary)])
        }
    }

    /// What teacher forcing found.
    struct PathComparison {
        /// Largest |Graft logit − tool logit| over the tool's recorded best ids of every step.
        var maxLogitDifference: Float = 0
        /// Mean |Graft logit − tool logit| over the same logits.
        var meanLogitDifference: Float = 0
        /// Steps where Graft's argmax is not the tool's token.
        var disagreements: [(step: Int, graft: Int32, tool: Int32, toolMargin: Float?)] = []
    }

    /// Compares Graft's logits along the tool's path with the tool's recorded best logits.
    static func compare(_ c: Case, graftLogits: [[Float]]) -> PathComparison {
        var result = PathComparison()
        var sum: Float = 0, count = 0
        for (s, row) in graftLogits.enumerated() {
            for (k, id) in c.topIDs[s].enumerated() {
                let difference = abs(row[Int(id)] - c.topLogits[s][k])
                result.maxLogitDifference = max(result.maxLogitDifference, difference)
                sum += difference
                count += 1
            }
            let best = Int32(argmax(row))
            if best != c.greedyIDs[s] {
                result.disagreements.append((s, best, c.greedyIDs[s], c.margin(step: s, to: best)))
            }
        }
        result.meanLogitDifference = sum / Float(max(count, 1))
        return result
    }

    /// Index of the largest value (the first on ties, as numpy's argmax).
    static func argmax(_ values: [Float]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }

    /// Checks Graft's free-running ids against the tool's: equal for the first `required` tokens,
    /// unless they part earlier at a near tie of the tool's own logits (Graft's token within
    /// `tieMargin` of the tool's choice at the step where the two runs still share every token).
    /// Returns the first drift and a line for the test log.
    @discardableResult
    static func assertSameGreedyStart(_ graft: [Int32], _ c: Case, required: Int, tieMargin: Float, label: String,
                                      file: StaticString = #filePath, line: UInt = #line) -> Int? {
        let drift = firstDrift(graft, c.greedyIDs)
        let where_ = drift.map { "first drift at token \($0) (Graft \(graft[$0]), tool \(c.greedyIDs[$0]))" }
            ?? "no drift in \(c.greedyIDs.count) tokens"
        var note = ""
        if let d = drift, d < required {
            let margin = c.margin(step: d, to: graft[d])
            note = ", the tool's top-2 gap there \(margin.map { String(format: "%.3f", $0) } ?? "n/a")"
            XCTAssertNotNil(margin, "\(label): Graft's token \(graft[d]) at step \(d) is not among the tool's best \(c.topIDs[d].count)",
                            file: file, line: line)
            if let margin {
                XCTAssertLessThan(margin, tieMargin, "\(label): drift at step \(d) < \(required) is not a near tie (gap \(margin))",
                                  file: file, line: line)
            }
        }
        print("\(label): \(where_)\(note)")
        return drift
    }
}
