import Foundation
import Graft

/// What a batched generation produced.
public struct BatchGenerationResult: Sendable, Equatable {
    /// One result per prompt, in the prompts' order (each with its own counts; the timings of
    /// the shared passes are the batch's).
    public var results: [GenerationResult]
    /// Counts and timings of the whole batch.
    public var statistics: BatchGenerationStatistics
}

/// Generates continuations of several prompts together: one forward pass per step for the
/// whole batch, so the weights are read once per step for every sequence.
///
/// Ragged prompts: the prompts run in one right-padded pass, each row at positions
/// `0 ..< its length` exactly as it would alone (padding is computed but never attended to,
/// and the row's length in the ``KVCache`` counts its real tokens only). Decoding then feeds
/// one token per row, each at its own position (per-row RoPE positions and per-row key counts
/// in attention), so no padding enters the decoding steps. A sequence stops on its own (stop
/// token, `maxTokens`, full context) and leaves the batch; the others go on.
public struct BatchGenerator {
    /// Model, tokenizer and template.
    public let loaded: LoadedModel

    /// A batch generator for a loaded model.
    public init(_ loaded: LoadedModel) { self.loaded = loaded }

    /// Generates a continuation of every prompt (token ids) with the same options; sampling
    /// is seeded per sequence with `options.sampling.seed`, so a sequence gets the tokens it
    /// would get alone.
    /// - Throws: ``ModelError/invalidInput(_:)`` for no prompts, an empty prompt, an id outside
    ///   the vocabulary or bad options; ``ModelError/contextOverflow(tokens:contextLength:)``
    ///   when a prompt does not fit the context.
    public func generate(prompts: [[Int32]], options: GenerationOptions = GenerationOptions()) throws -> BatchGenerationResult {
        let model = loaded.model, contextLength = model.config.contextLength
        guard !prompts.isEmpty else { throw ModelError.invalidInput("no prompts to generate from") }
        guard options.maxTokens >= 0 else { throw ModelError.invalidInput("max tokens \(options.maxTokens) must be ≥ 0") }
        for (index, prompt) in prompts.enumerated() {
            guard !prompt.isEmpty else { throw ModelError.invalidInput("prompt \(index) is empty") }
            guard prompt.count <= contextLength else {
                throw ModelError.contextOverflow(tokens: prompt.count, contextLength: contextLength)
            }
        }
        let stops = options.stopTokenIDs ?? loaded.stopTokenIDs
        var sequences = try prompts.map {
            try DecodingSequence(prompt: $0, options: options, stops: stops, tokenizer: loaded.tokenizer)
        }
        let longest = prompts.map(\.count).max()!
        let cache = KVCache(layerCount: model.config.layerCount, batchSize: prompts.count,
                            initialCapacity: KVCache.initialCapacity(prompt: longest, maxTokens: options.maxTokens),
                            dtype: model.kvCacheType)
        var statistics = BatchGenerationStatistics()
        statistics.sequences = prompts.count
        statistics.promptTokens = prompts.reduce(0) { $0 + $1.count }
        Allocator.resetPeak()

        let start = Date()
        var logits = try model.step(rows: prompts, cache: cache)
        let decodeStart = Date()
        statistics.promptSeconds = decodeStart.timeIntervalSince(start)
        var finishedAt = [Date](repeating: decodeStart, count: prompts.count)
        var active = Array(prompts.indices)  // the sequence in each cache row
        var firstRound = true
        while true {
            let values = logits.toArray(as: Float.self)
            let vocabulary = values.count / active.count
            for (row, index) in active.enumerated() where !sequences[index].isFinished {
                _ = try sequences[index].advance(logits: values[(row * vocabulary)..<((row + 1) * vocabulary)],
                                                 positions: cache.lengths[row], contextLength: contextLength)
                if sequences[index].isFinished { finishedAt[index] = Date() }
            }
            if firstRound {
                statistics.timeToFirstToken = Date().timeIntervalSince(start)
                firstRound = false
            }
            let going = active.indices.filter { !sequences[active[$0]].isFinished }
            if going.isEmpty { break }
            if going.count < active.count {
                cache.keepRows(going)
                active = going.map { active[$0] }
            }
            logits = try model.step(rows: active.map { [sequences[$0].lastToken!] }, cache: cache)
            statistics.decodeSteps += 1
        }
        statistics.decodeSeconds = Date().timeIntervalSince(decodeStart)
        statistics.generatedTokens = sequences.reduce(0) { $0 + $1.produced.count }
        statistics.decodeTokens = sequences.reduce(0) { $0 + Swift.max(0, $1.produced.count - 1) }
        statistics.peakTensorBytes = Allocator.peakBytes
        statistics.peakResidentBytes = ProcessMemory.peakResidentBytes()

        let results = sequences.enumerated().map { index, sequence in
            var own = GenerationStatistics()
            own.promptTokens = prompts[index].count
            own.promptSeconds = statistics.promptSeconds
            own.generatedTokens = sequence.produced.count
            own.decodeSteps = Swift.max(0, sequence.produced.count - 1)
            own.decodeSeconds = finishedAt[index].timeIntervalSince(decodeStart)
            own.peakTensorBytes = statistics.peakTensorBytes
            own.peakResidentBytes = statistics.peakResidentBytes
            return GenerationResult(tokens: sequence.produced, text: sequence.text, finishReason: sequence.finishReason,
                                    statistics: own)
        }
        return BatchGenerationResult(results: results, statistics: statistics)
    }
}
