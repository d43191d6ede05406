import Foundation

/// Settings of a generation benchmark (`graft bench`).
public struct BenchmarkOptions: Sendable {
    /// Tokens in each synthetic prompt.
    public var promptTokens: Int
    /// Tokens generated per sequence (stop tokens are ignored, so exactly this many).
    public var generatedTokens: Int
    /// Batch sizes to measure, in order.
    public var batchSizes: [Int]
    /// Measured runs per batch size.
    public var repeats: Int

    /// Options with `graft bench`'s defaults.
    public init(promptTokens: Int = 512, generatedTokens: Int = 256, batchSizes: [Int] = [1, 2, 4, 8], repeats: Int = 3) {
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.batchSizes = batchSizes
        self.repeats = repeats
    }

    /// Checks the ranges against a model's context length.
    /// - Throws: ``ModelError/invalidInput(_:)`` naming the bad setting.
    public func validate(contextLength: Int) throws {
        guard promptTokens >= 1 else { throw ModelError.invalidInput("--prompt-tokens must be ≥ 1, got \(promptTokens)") }
        guard generatedTokens >= 2 else {
            throw ModelError.invalidInput("--gen-tokens must be ≥ 2 (the first token comes from the prompt pass), got \(generatedTokens)")
        }
        guard promptTokens + generatedTokens <= contextLength else {
            throw ModelError.invalidInput("--prompt-tokens + --gen-tokens = \(promptTokens + generatedTokens) exceeds the model's context (\(contextLength))")
        }
        guard !batchSizes.isEmpty, batchSizes.allSatisfy({ $0 >= 1 }) else {
            throw ModelError.invalidInput("--batch needs batch sizes ≥ 1, got \(batchSizes)")
        }
        guard repeats >= 1 else { throw ModelError.invalidInput("--repeat must be ≥ 1, got \(repeats)") }
    }
}

/// Measures prompt throughput, generation throughput, time to first token and memory with
/// synthetic prompts, at several batch sizes (``BatchGenerator``, greedy).
public enum GenerationBenchmark {
    /// English text whose tokens make the synthetic prompts.
    static let sourceText = """
        The river valley was quiet in the early morning. Farmers walked to their fields, children \
        carried water from the well, and the baker opened his shop before sunrise. In the town hall \
        the council discussed a new bridge, the price of grain, and the repair of the old mill. \
        Travellers from the coast brought news of ships, storms and markets far away.
        """

    /// `count` prompts of exactly `tokens` ids each, cut from a repeated English text (row i
    /// starts further into the text, so rows differ).
    public static func syntheticPrompts(_ loaded: LoadedModel, count: Int, tokens: Int) -> [[Int32]] {
        let source = loaded.tokenizer.encode(sourceText, addSpecialTokens: false)
        precondition(!source.isEmpty, "GenerationBenchmark: the tokenizer produced no tokens")
        return (0..<count).map { row in
            (0..<tokens).map { source[(row * 17 + $0) % source.count] }
        }
    }

    /// Runs the benchmark: one warm-up run, then `repeats` runs per batch size; `progress`
    /// hears about each run.
    /// - Throws: ``ModelError/invalidInput(_:)`` for bad options.
    public static func run(_ loaded: LoadedModel, options: BenchmarkOptions,
                           progress: (String) -> Void = { _ in }) throws -> BenchmarkReport {
        try options.validate(contextLength: loaded.model.config.contextLength)
        let generator = BatchGenerator(loaded)
        let generation = GenerationOptions(maxTokens: options.generatedTokens, sampling: .greedy, stopTokenIDs: [])
        progress("warm-up")
        _ = try generator.generate(prompts: syntheticPrompts(loaded, count: 1, tokens: options.promptTokens),
                                   options: GenerationOptions(maxTokens: 2, sampling: .greedy, stopTokenIDs: []))
        var points: [BenchmarkPoint] = []
        for batch in options.batchSizes {
            let prompts = syntheticPrompts(loaded, count: batch, tokens: options.promptTokens)
            var runs: [BatchGenerationStatistics] = []
            for repeatIndex in 0..<options.repeats {
                let s = try generator.generate(prompts: prompts, options: generation).statistics
                progress(String(format: "batch %d, run %d/%d: prompt %.1f tok/s, generation %.1f tok/s",
                                batch, repeatIndex + 1, options.repeats, s.promptTokensPerSecond, s.decodeTokensPerSecond))
                runs.append(s)
            }
            points.append(BenchmarkPoint(
                batch: batch, promptTokens: runs.last!.promptTokens, generatedTokens: runs.last!.generatedTokens,
                promptTokensPerSecond: MeasuredRange(runs.map(\.promptTokensPerSecond)),
                generationTokensPerSecond: MeasuredRange(runs.map(\.decodeTokensPerSecond)),
                timeToFirstTokenSeconds: MeasuredRange(runs.map(\.timeToFirstToken)),
                peakTensorBytes: runs.map(\.peakTensorBytes).max()!, peakResidentBytes: ProcessMemory.peakResidentBytes()))
        }
        return BenchmarkReport(model: loaded.file.path, threads: ComputeThreads.count, promptTokens: options.promptTokens,
                               genTokens: options.generatedTokens, repeats: options.repeats, results: points)
    }
}
