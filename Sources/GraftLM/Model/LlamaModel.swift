import Graft

/// A Llama-family decoder (Llama, SmolLM2, Qwen2) over a parameter tree with Hugging Face key
/// paths: `model.embed_tokens.weight`, `model.layers.N.input_layernorm.weight`,
/// `model.layers.N.self_attn.{q,k,v,o}_proj.weight` (and `.bias` where the config says),
/// `model.layers.N.post_attention_layernorm.weight`, `model.layers.N.mlp.{gate,up,down}_proj.weight`,
/// `model.norm.weight`, and `lm_head.weight` unless the head is tied to the embedding.
///
/// The forward pass (formats.md §8.3), per layer: RMSNorm → q/k/v projections → RoPE on q and k
/// → causal grouped-query attention (with the KV cache's earlier positions) → output projection
/// → residual; RMSNorm → `down(silu(gate(x)) * up(x))` → residual. Then the final RMSNorm and
/// the output head.
///
/// The q/k rows must be in the order ``ropeConvention`` expects: GGUF `llama` files keep
/// llama.cpp's interleaved order and use ``RoPEConvention/interleavedPairs``.
public struct LlamaModel {
    /// The hyper-parameters.
    public let config: ModelConfig
    /// Every weight, by Hugging Face key path.
    public let parameters: ParameterTree
    /// Which dimension pairs RoPE rotates (must match the q/k row order of ``parameters``).
    public let ropeConvention: RoPEConvention
    /// Where the weights came from (a file path), for error messages.
    public let source: String
    /// How the blocks' packed projections read their activations in decoding steps (passes with
    /// a KV cache and one new position per row): float32 by default; ``ActivationPrecision/int8``
    /// rounds them to 8 bits per 32 values as llama.cpp does (faster, greedy outputs that part
    /// from the float ones at near ties; the first such step copies each block weight into the
    /// kernel's interleaved layout, kept with the weight). Prompt passes, passes without a
    /// cache (training, validation, scoring) and the output head always read float32: rounding
    /// the head's input alone changed SmolLM2's greedy answer to "What is the capital of France?".
    public var decodingActivations: ActivationPrecision = .float32
    /// The element type of the KV caches the generators make for this model: `.float32` (the
    /// default) or `.float16` (llama.cpp's default; half the cache memory and attention traffic).
    public var kvCacheType: DType = .float32

    /// The token embedding `[vocabulary, hidden]` (dense or packed), also the tied head.
    let embedding: LinearWeights
    var layers: [LlamaLayerWeights]
    let finalNorm: Tensor
    /// The untied head, or the embedding used as the head.
    let outputHead: LinearWeights
    let inverseFrequencies: [Double]

    /// A model over `parameters`, checking that every weight the configuration needs is present
    /// with the right shape.
    /// - Throws: ``ModelError/missingTensor(file:name:)`` or
    ///   ``ModelError/shapeMismatch(file:name:expected:found:)`` naming `source` and the key path.
    public init(config: ModelConfig, parameters: ParameterTree, ropeConvention: RoPEConvention,
                source: String = "parameter tree") throws {
        func tensor(_ path: String, _ shape: [Int]) throws -> Tensor {
            guard let t = parameters[path] else { throw ModelError.missingTensor(file: source, name: path) }
            guard t.shape == shape else { throw ModelError.shapeMismatch(file: source, name: path, expected: shape, found: t.shape) }
            return t
        }
        self.config = config
        self.parameters = parameters
        self.ropeConvention = ropeConvention
        self.source = source
        embedding = try LinearWeights(parameters, path: "model.embed_tokens", inputCount: config.hiddenSize, source: source)
        guard embedding.shape == [config.vocabularySize, config.hiddenSize] else {
            throw ModelError.shapeMismatch(file: source, name: "model.embed_tokens.weight",
                                           expected: [config.vocabularySize, config.hiddenSize], found: embedding.shape)
        }
        layers = try (0..<config.layerCount).map { try LlamaLayerWeights(parameters, index: $0, config: config, source: source) }
        finalNorm = try tensor("model.norm.weight", [config.hiddenSize])
        if config.tiedOutputHead {
            outputHead = embedding
        } else {
            let head = try LinearWeights(parameters, path: "lm_head", inputCount: config.hiddenSize, source: source)
            guard head.shape == [config.vocabularySize, config.hiddenSize] else {
                throw ModelError.shapeMismatch(file: source, name: "lm_head.weight",
                                               expected: [config.vocabularySize, config.hiddenSize], found: head.shape)
            }
            outputHead = head
        }
        inverseFrequencies = config.ropeInverseFrequencies
    }

    /// The same model over another tree of the same structure (e.g. the tree a gradient
    /// transformation hands to its closure, or one with adapted weights).
    public func withParameters(_ tree: ParameterTree) throws -> LlamaModel {
        var model = try LlamaModel(config: config, parameters: tree, ropeConvention: ropeConvention, source: source)
        model.decodingActivations = decodingActivations
        model.kvCacheType = kvCacheType
        return model
    }

    // MARK: - Forward

    /// The residual stream after the first `layerLimit` layers (all by default), before the
    /// final norm: `tokens [B, T]` int32 → `[B, T, hidden]`. With a cache (of `B` rows), row b's
    /// tokens continue at position `cache.lengths[b]` and their keys/values are written into
    /// the cache (lazily: evaluate the cache's `state` with the result). Ids must lie in
    /// `0..<vocabularySize`. A layer limit (for inspecting intermediate states) cannot be
    /// combined with a cache.
    public func hiddenStates(_ tokens: Tensor, cache: KVCache? = nil, layerLimit: Int? = nil) -> Tensor {
        hiddenStates(tokens, cache: cache, layerLimit: layerLimit, adapters: nil)
    }

    /// Final norm and output head: `[..., hidden]` → `[..., vocabularySize]`.
    public func outputLogits(_ hidden: Tensor) -> Tensor {
        outputHead.apply(hidden.rmsNorm(weight: finalNorm, eps: config.rmsNormEpsilon))
    }

    /// The forward pass, with LoRA `adapters` applied where given.
    func hiddenStates(_ tokens: Tensor, cache: KVCache?, layerLimit: Int?, adapters: Adapters?) -> Tensor {
        hiddenStates(tokens, cache: cache, rowCounts: nil, layerLimit: layerLimit, adapters: adapters)
    }

    /// The forward pass. With a cache, row b's tokens continue at position `cache.lengths[b]`
    /// and row b keeps `rowCounts[b]` of its `T` new positions (all by default; fewer when the
    /// row is right-padded).
    func hiddenStates(_ tokens: Tensor, cache: KVCache?, rowCounts: [Int]?, layerLimit: Int?, adapters: Adapters?) -> Tensor {
        precondition(tokens.ndim == 2 && tokens.dtype == .int32, "LlamaModel: tokens must be int32 [B, T], got \(tokens.dtype) \(tokens.shape)")
        precondition(cache.map { $0.layerCount == config.layerCount } ?? true, "LlamaModel: the cache has the wrong number of layers")
        precondition(cache == nil || layerLimit == nil, "LlamaModel: a layer limit cannot be combined with a cache")
        let (b, t) = (tokens.dim(0), tokens.dim(1))
        let starts = cache?.lengths ?? Array(repeating: 0, count: b)
        cache?.begin(counts: rowCounts ?? Array(repeating: t, count: b))
        let rotate = rotation(starts: starts, count: t)
        // Rounded activations only in decoding steps (one new position per row), so a prompt
        // pass reads float32 whatever its length, and batched and single decoding agree.
        let activations = cache != nil && t == 1 ? decodingActivations : .float32
        var h = embedding.rows(tokens)
        for (index, layer) in layers.prefix(layerLimit ?? layers.count).enumerated() {
            let a = adapters?.layer(index)
            h = h + attention(h.rmsNorm(weight: layer.inputNorm, eps: config.rmsNormEpsilon),
                              layer: layer, index: index, cache: cache, rotate: rotate, adapters: a, activations: activations)
            h = h + feedForward(h.rmsNorm(weight: layer.postAttentionNorm, eps: config.rmsNormEpsilon), layer: layer,
                                adapters: a, activations: activations)
        }
        cache?.commit()
        return h
    }

    /// RoPE for rows starting at `starts`: the fused kernel when every row starts at the same
    /// position, per-row angle tables otherwise.
    func rotation(starts: [Int], count: Int) -> (Tensor) -> Tensor {
        if let first = starts.first, starts.allSatisfy({ $0 == first }) {
            return { [config, ropeConvention, inverseFrequencies] in
                $0.rope(dims: config.ropeDimensions, traditional: ropeConvention.traditional, offset: first,
                        inverseFrequencies: inverseFrequencies)
            }
        }
        let tables = RotaryPositions(starts: starts, count: count, headDimension: config.headDimension,
                                     dims: config.ropeDimensions, convention: ropeConvention,
                                     inverseFrequencies: inverseFrequencies)
        return tables.apply
    }

    /// Logits for every position: `tokens [B, T]` int32 → `[B, T, vocabularySize]` (lazy).
    public func logits(_ tokens: Tensor, cache: KVCache? = nil) -> Tensor {
        outputLogits(hiddenStates(tokens, cache: cache))
    }

    /// Runs `tokens` (one sequence) through the model, adding them to `cache`, and returns the
    /// evaluated logits: `[vocabularySize]` of the last position, or `[T, vocabularySize]`.
    /// - Throws: ``ModelError/invalidInput(_:)`` for no tokens, an id outside the vocabulary or
    ///   a cache of several sequences (see ``step(rows:cache:)``),
    ///   ``ModelError/contextOverflow(tokens:contextLength:)`` past the context length.
    public func step(_ tokens: [Int32], cache: KVCache, lastPositionOnly: Bool = true) throws -> Tensor {
        try step(tokens, cache: cache, adapters: nil, lastPositionOnly: lastPositionOnly)
    }

    /// ``step(_:cache:lastPositionOnly:)`` with optional LoRA `adapters` applied on the side.
    func step(_ tokens: [Int32], cache: KVCache, adapters: Adapters?, lastPositionOnly: Bool) throws -> Tensor {
        guard !tokens.isEmpty else { throw ModelError.invalidInput("LlamaModel.step: no tokens to run") }
        guard cache.batchSize == 1 else {
            throw ModelError.invalidInput("LlamaModel.step: the cache holds \(cache.batchSize) sequences; use step(rows:cache:)")
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
            throw ModelError.invalidInput("token id \(bad) is outside the model's vocabulary (0..<\(config.vocabularySize))")
        }
        guard cache.length + tokens.count <= config.contextLength else {
            throw ModelError.contextOverflow(tokens: cache.length + tokens.count, contextLength: config.contextLength)
        }
        var hidden = hiddenStates(Tensor(tokens, shape: [1, tokens.count]), cache: cache, layerLimit: nil, adapters: adapters)
        if lastPositionOnly { hidden = hidden.slice(axis: 1, (tokens.count - 1)..<tokens.count) }
        let result = outputLogits(hidden).reshaped(lastPositionOnly ? [config.vocabularySize] : [tokens.count, config.vocabularySize])
        eval([result] + cache.state)
        return result
    }

    // MARK: - Blocks

    /// Self-attention of one layer: `x [B, T, hidden]` (already normalised) → `[B, T, hidden]`.
    /// With a cache, the new keys/values are written into it and attention reads each row's
    /// stored positions.
    func attention(_ x: Tensor, layer: LlamaLayerWeights, index: Int, cache: KVCache?, rotate: (Tensor) -> Tensor,
                   adapters a: Adapters.Layer? = nil, activations: ActivationPrecision = .float32) -> Tensor {
        let (b, t) = (x.dim(0), x.dim(1))
        let (hq, hkv, d) = (config.attentionHeadCount, config.keyValueHeadCount, config.headDimension)
        func heads(_ y: Tensor, _ n: Int) -> Tensor { y.reshaped([b, t, n, d]).transposed([0, 2, 1, 3]) }
        func project(_ w: LinearWeights, _ module: String, _ input: Tensor) -> Tensor {
            a.map { $0.apply(w, module, input, activations: activations) } ?? w.apply(input, activations: activations)
        }
        let q = rotate(heads(project(layer.query, "self_attn.q_proj", x), hq))
        let k = rotate(heads(project(layer.key, "self_attn.k_proj", x), hkv))
        let v = heads(project(layer.value, "self_attn.v_proj", x), hkv)
        let o: Tensor
        if let cache {
            let stored = cache.write(layer: index, keys: k, values: v)
            o = Tensor.attention(q: q, k: stored.keys, v: stored.values, causal: true, keyLengths: stored.keyLengths)
        } else {
            o = Tensor.attention(q: q, k: k, v: v, causal: true)
        }
        return project(layer.output, "self_attn.o_proj", o.transposed([0, 2, 1, 3]).reshaped([b, t, hq * d]))
    }

    /// SwiGLU feed-forward block: `down(silu(gate(x)) * up(x))`.
    func feedForward(_ x: Tensor, layer: LlamaLayerWeights, adapters a: Adapters.Layer? = nil,
                     activations: ActivationPrecision = .float32) -> Tensor {
        func project(_ w: LinearWeights, _ module: String, _ input: Tensor) -> Tensor {
            a.map { $0.apply(w, module, input, activations: activations) } ?? w.apply(input, activations: activations)
        }
        let gate = project(layer.gate, "mlp.gate_proj", x), up = project(layer.up, "mlp.up_proj", x)
        return project(layer.down, "mlp.down_proj", gate.silu() * up)
    }
}
