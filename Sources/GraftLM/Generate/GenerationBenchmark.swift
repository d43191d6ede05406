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

    /// Runs the benchmark: one warm-up run, then `repeats` rounds, each running every batch size
    /// once in the order asked; `progress` hears about each run. Rounds rather than all runs of
    /// one size after another, so that each size's speed over the first size's is measured
    /// within a round, seconds apart (a shared machine's speed drifts over minutes).
    /// - Throws: ``ModelError/invalidInput(_:)`` for bad options.
    public static func run(_ loaded: LoadedModel, options: BenchmarkOptions,
                           progress: (String) -> Void = { _ in }) throws -> BenchmarkReport {
        try options.validate(contextLength: loaded.model.config.contextLength)
        let generator = BatchGenerator(loaded)
        let generation = GenerationOptions(maxTokens: options.generatedTokens, sampling: .greedy, stopTokenIDs: [])
        progress("warm-up")
        _ = try generator.generate(prompts: syntheticPrompts(loaded, count: 1, tokens: options.promptTokens),
                                   options: GenerationOptions(maxTokens: 2, sampling: .greedy, stopTokenIDs: []))
        let sizes = options.batchSizes
        let prompts = sizes.map { syntheticPrompts(loaded, count: $0, tokens: options.promptTokens) }
        var runs = [[BatchGenerationStatistics]](repeating: [], count: sizes.count)
        var peakResident = [Int?](repeating: nil, count: sizes.count)
        for round in 0..<options.repeats {
            for (k, batch) in sizes.enumerated() {
                let s = try generator.generate(prompts: prompts[k], options: generation).statistics
                progress(String(format: "batch %d, run %d/%d: prompt %.1f tok/s, generation %.1f tok/s",
                                batch, round + 1, options.repeats, s.promptTokensPerSecond, s.decodeTokensPerSecond))
                runs[k].append(s)
                // The first round runs the sizes in the order asked: the peak after each of them.
                if round == 0 { peakResident[k] = ProcessMemory.peakResidentBytes() }
            }
        }
        let points = sizes.indices.map { k in
            BenchmarkPoint(
                batch: sizes[k], promptTokens: runs[k][0].promptTokens, generatedTokens: runs[k][0].generatedTokens,
                promptTokensPerSecond: MeasuredRange(runs[k].map(\.promptTokensPerSecond)),
                generationTokensPerSecond: MeasuredRange(runs[k].map(\.decodeTokensPerSecond)),
                generationSpeedup: k == 0 ? nil : MeasuredRange(zip(runs[k], runs[0]).map { $0.decodeTokensPerSecond / $1.decodeTokensPerSecond }),
                timeToFirstTokenSeconds: MeasuredRange(runs[k].map(\.timeToFirstToken)),
                peakTensorBytes: runs[k].map(\.peakTensorBytes).max()!, peakResidentBytes: peakResident[k])
        }
        return BenchmarkReport(model: loaded.file.path, threads: ComputeThreads.count,
                               activations: loaded.model.decodingActivations.rawValue,
                               kvCache: loaded.model.kvCacheType.rawValue, promptTokens: options.promptTokens,
                               genTokens: options.generatedTokens, repeats: options.repeats, results: points)
    }
}
