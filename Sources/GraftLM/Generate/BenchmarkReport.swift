import Foundation

/// A measurement over repeated runs: the median and the range.
public struct MeasuredRange: Codable, Sendable, Equatable {
    /// The median (the mean of the two middle values for an even count).
    public var median: Double
    /// The smallest value.
    public var min: Double
    /// The largest value.
    public var max: Double

    /// The median, min and max of `values` (at least one).
    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "MeasuredRange: no values")
        let sorted = values.sorted()
        let middle = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        min = sorted.first!
        max = sorted.last!
    }

    /// `median [min–max]` with `digits` decimals.
    public func formatted(_ digits: Int = 1) -> String {
        let f = "%.\(digits)f"
        return String(format: "\(f) [\(f)–\(f)]", median, min, max)
    }
}

/// The measurements of one batch size.
public struct BenchmarkPoint: Codable, Sendable, Equatable {
    /// Sequences generated together.
    public var batch: Int
    /// Prompt tokens run per repeat, over the whole batch.
    public var promptTokens: Int
    /// Tokens generated per repeat, over the whole batch.
    public var generatedTokens: Int
    /// Prompt (prefill) throughput, tokens per second over the batch.
    public var promptTokensPerSecond: MeasuredRange
    /// Generation throughput after the first token, tokens per second over the batch.
    public var generationTokensPerSecond: MeasuredRange
    /// Generation throughput over the first batch size's, from the runs of the same round
    /// (nil for the first batch size).
    public var generationSpeedup: MeasuredRange?
    /// Seconds until every sequence had its first token.
    public var timeToFirstTokenSeconds: MeasuredRange
    /// Highest bytes held by tensors in any repeat (weights included).
    public var peakTensorBytes: Int
    /// The process's peak resident set (VmHWM) after this batch size's runs, if known.
    public var peakResidentBytes: Int?
}

/// What `graft bench` measured.
public struct BenchmarkReport: Codable, Sendable, Equatable {
    /// The model file.
    public var model: String
    /// Compute threads.
    public var threads: Int
    /// How the blocks' projections read their activations while decoding (`float32`, `int8`).
    public var activations: String
    /// The KV cache's element type (`float32`, `float16`).
    public var kvCache: String
    /// Tokens in each synthetic prompt.
    public var promptTokens: Int
    /// Tokens generated per sequence.
    public var genTokens: Int
    /// Measured runs per batch size (after one warm-up run).
    public var repeats: Int
    /// One entry per batch size, in the order asked.
    public var results: [BenchmarkPoint]

    /// The report as pretty-printed JSON with snake_case keys.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A table for the terminal: medians with their ranges.
    public var table: String {
        func mb(_ bytes: Int) -> String { String(format: "%.0f", Double(bytes) / 1e6) }
        let first = results.first.map { "batch \($0.batch)" } ?? ""
        var lines = ["\(model) (\(threads) threads, \(activations) activations, \(kvCache) KV cache): prompts of \(promptTokens) tokens, \(genTokens) generated per sequence, median [min–max] of \(repeats) run\(repeats == 1 ? "" : "s")",
                     "batch  prompt tok/s            generation tok/s        × \(first) (same round)".padding(toLength: 80, withPad: " ", startingAt: 0)
                        + "first token s          peak tensors MB  peak RSS MB"]
        for p in results {
            lines.append([String(p.batch).padding(toLength: 7, withPad: " ", startingAt: 0),
                          p.promptTokensPerSecond.formatted().padding(toLength: 24, withPad: " ", startingAt: 0),
                          p.generationTokensPerSecond.formatted().padding(toLength: 24, withPad: " ", startingAt: 0),
                          (p.generationSpeedup?.formatted(2) ?? "1").padding(toLength: 25, withPad: " ", startingAt: 0),
                          p.timeToFirstTokenSeconds.formatted(3).padding(toLength: 23, withPad: " ", startingAt: 0),
                          mb(p.peakTensorBytes).padding(toLength: 17, withPad: " ", startingAt: 0),
                          p.peakResidentBytes.map(mb) ?? "?"].joined())
        }
        return lines.joined(separator: "\n")
    }
}
