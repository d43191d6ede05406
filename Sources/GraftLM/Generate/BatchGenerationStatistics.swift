import Foundation

/// Counts and timings of one batched generation (all sequences together).
public struct BatchGenerationStatistics: Sendable, Equatable {
    /// Sequences generated together.
    public var sequences = 0
    /// Prompt tokens of all sequences (padding excluded).
    public var promptTokens = 0
    /// Seconds of the batched prompt pass (prefill), up to its logits.
    public var promptSeconds = 0.0
    /// Seconds from the start until every sequence had its first token.
    public var timeToFirstToken = 0.0
    /// Tokens produced by all sequences (stop tokens included).
    public var generatedTokens = 0
    /// Tokens produced from the decoding passes (all but each sequence's first).
    public var decodeTokens = 0
    /// Batched single-token forward passes after the prompt.
    public var decodeSteps = 0
    /// Seconds spent in those passes and in sampling.
    public var decodeSeconds = 0.0
    /// Highest bytes held by tensor buffers during the generation (weights included).
    public var peakTensorBytes = 0
    /// Peak resident set size of the process (VmHWM), if known.
    public var peakResidentBytes: Int?

    /// Prompt throughput in tokens per second, over the whole batch.
    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptTokens) / promptSeconds : 0 }
    /// Decoding throughput in tokens per second, over the whole batch.
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(decodeTokens) / decodeSeconds : 0 }

    /// A summary as the CLI prints it.
    public var summary: String {
        func gb(_ bytes: Int) -> String { String(format: "%.3f GB", Double(bytes) / 1e9) }
        return [String(format: "Batch: %d sequences, first tokens after %.3f s", sequences, timeToFirstToken),
                String(format: "Prompt: %d tokens, %.1f tokens-per-sec", promptTokens, promptTokensPerSecond),
                String(format: "Generation: %d tokens, %.1f tokens-per-sec (total over the batch, %d decode steps)",
                       generatedTokens, decodeTokensPerSecond, decodeSteps),
                "Peak memory: \(gb(peakTensorBytes)) tensors" + (peakResidentBytes.map { ", \(gb($0)) resident (VmHWM)" } ?? "")]
            .joined(separator: "\n")
    }
}
