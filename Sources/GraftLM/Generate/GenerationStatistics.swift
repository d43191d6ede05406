import Foundation

/// Counts and timings of one generation.
public struct GenerationStatistics: Sendable, Equatable {
    /// Prompt tokens run through the model (excluding a reused cached prefix).
    public var promptTokens = 0
    /// Prompt tokens found in the KV cache and not recomputed.
    public var reusedPromptTokens = 0
    /// Seconds spent on the prompt (prefill), up to its logits.
    public var promptSeconds = 0.0
    /// Tokens produced (a stop token included).
    public var generatedTokens = 0
    /// Single-token forward passes after the prompt.
    public var decodeSteps = 0
    /// Seconds spent in those passes and in sampling.
    public var decodeSeconds = 0.0
    /// Highest bytes held by tensor buffers during the generation (`Allocator.peakBytes`,
    /// weights included).
    public var peakTensorBytes = 0
    /// Peak resident set size of the process (VmHWM), if known.
    public var peakResidentBytes: Int?

    /// Prompt throughput in tokens per second.
    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptTokens) / promptSeconds : 0 }
    /// Decoding throughput in tokens per second (one token per decode step).
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(decodeSteps) / decodeSeconds : 0 }

    /// A two-line summary as the CLI prints it.
    public var summary: String {
        func gb(_ bytes: Int) -> String { String(format: "%.3f GB", Double(bytes) / 1e9) }
        var lines = [String(format: "Prompt: %d tokens, %.1f tokens-per-sec", promptTokens, promptTokensPerSecond)
                         + (reusedPromptTokens > 0 ? " (\(reusedPromptTokens) cached)" : ""),
                     String(format: "Generation: %d tokens, %.1f tokens-per-sec", generatedTokens, decodeTokensPerSecond)]
        lines.append("Peak memory: \(gb(peakTensorBytes)) tensors" + (peakResidentBytes.map { ", \(gb($0)) resident (VmHWM)" } ?? ""))
        return lines.joined(separator: "\n")
    }
}
