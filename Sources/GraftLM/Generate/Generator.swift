import Foundation
import Graft

/// Why a generation ended.
public enum FinishReason: String, Sendable, Equatable {
    /// A stop token (EOS) was produced.
    case stopToken
    /// `maxTokens` tokens were produced.
    case maxTokens
    /// The model's context is full.
    case contextLength
}

/// What a generation produced.
public struct GenerationResult: Sendable, Equatable {
    /// Every token produced, a final stop token included.
    public var tokens: [Int32]
    /// The text of the tokens (special tokens skipped), as streamed.
    public var text: String
    /// Why generation stopped.
    public var finishReason: FinishReason
    /// Counts, timings and memory.
    public var statistics: GenerationStatistics
}

/// Options of one generation.
public struct GenerationOptions: Sendable {
    /// Most tokens to produce.
    public var maxTokens: Int
    /// How tokens are chosen.
    public var sampling: SamplingParameters
    /// Tokens that end generation (nil: the model's EOS ids).
    public var stopTokenIDs: Set<Int32>?

    /// Options with a token budget and sampling parameters (greedy by default).
    public init(maxTokens: Int = 256, sampling: SamplingParameters = .greedy, stopTokenIDs: Set<Int32>? = nil) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopTokenIDs = stopTokenIDs
    }
}

/// Runs a prompt through the model (prefill), then decodes one token at a time with the KV
/// cache, streaming text as it completes.
public struct Generator {
    /// Model, tokenizer and template.
    public let loaded: LoadedModel

    /// A generator for a loaded model.
    public init(_ loaded: LoadedModel) { self.loaded = loaded }

    /// Generates a continuation of `prompt` (token ids).
    ///
    /// With a `cache` that already holds the first `cache.length` positions of `prompt` (as a
    /// ``ChatSession`` keeps them), only the rest of the prompt is run. `onText` receives each
    /// piece of text as soon as its UTF-8 bytes are complete; special tokens are not shown.
    /// - Throws: ``ModelError/contextOverflow(tokens:contextLength:)`` when the prompt does not
    ///   fit the context, ``ModelError/invalidInput(_:)`` for an empty prompt, bad sampling
    ///   parameters, or a cache longer than the prompt or of more than one sequence.
    public func generate(prompt: [Int32], options: GenerationOptions = GenerationOptions(), cache: KVCache? = nil,
                         onText: (String) -> Void = { _ in }) throws -> GenerationResult {
        let model = loaded.model
        guard !prompt.isEmpty else { throw ModelError.invalidInput("the prompt is empty") }
        guard options.maxTokens >= 0 else { throw ModelError.invalidInput("max tokens \(options.maxTokens) must be ≥ 0") }
        guard prompt.count <= model.config.contextLength else {
            throw ModelError.contextOverflow(tokens: prompt.count, contextLength: model.config.contextLength)
        }
        var sequence = try DecodingSequence(prompt: prompt, options: options, stops: options.stopTokenIDs ?? loaded.stopTokenIDs,
                                            tokenizer: loaded.tokenizer)
        let cache = cache ?? KVCache(layerCount: model.config.layerCount,
                                     initialCapacity: KVCache.initialCapacity(prompt: prompt.count, maxTokens: options.maxTokens),
                                     dtype: model.kvCacheType)
        guard cache.batchSize == 1 else {
            throw ModelError.invalidInput("the KV cache holds \(cache.batchSize) sequences; Generator runs one (see BatchGenerator)")
        }
        guard cache.length < prompt.count else {
            throw ModelError.invalidInput("the KV cache holds \(cache.length) positions, more than the \(prompt.count - 1) before the prompt's last token")
        }
        var statistics = GenerationStatistics()
        Allocator.resetPeak()
        statistics.reusedPromptTokens = cache.length
        statistics.promptTokens = prompt.count - cache.length

        let start = Date()
        var logits = try loaded.step(Array(prompt[cache.length...]), cache: cache)
        statistics.promptSeconds = Date().timeIntervalSince(start)
        let decodeStart = Date()
        while !sequence.isFinished {
            let piece = try sequence.advance(logits: logits.toArray(as: Float.self)[...], positions: cache.length,
                                             contextLength: model.config.contextLength)
            if !piece.isEmpty { onText(piece) }
            guard !sequence.isFinished, let token = sequence.lastToken else { break }
            logits = try loaded.step([token], cache: cache)
            statistics.decodeSteps += 1
        }
        statistics.decodeSeconds = Date().timeIntervalSince(decodeStart)
        statistics.generatedTokens = sequence.produced.count
        statistics.peakTensorBytes = Allocator.peakBytes
        statistics.peakResidentBytes = ProcessMemory.peakResidentBytes()
        return GenerationResult(tokens: sequence.produced, text: sequence.text, finishReason: sequence.finishReason,
                                statistics: statistics)
    }
}
