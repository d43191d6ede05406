/// The hyper-parameters of a decoder-only transformer in the Llama family (Llama, SmolLM,
/// Qwen2), read from GGUF metadata (`ModelConfig(gguf:)`) or a Hugging Face `config.json`
/// (`ModelConfig(huggingFaceConfig:)`).
public struct ModelConfig: Sendable, Equatable {
    /// Architecture name as the source file spells it ("llama", "qwen2").
    public var architecture: String
    /// Rows of the token embedding (and of the output head).
    public var vocabularySize: Int
    /// Width of the residual stream.
    public var hiddenSize: Int
    /// Number of transformer blocks.
    public var layerCount: Int
    /// Query heads per layer.
    public var attentionHeadCount: Int
    /// Key/value heads per layer (fewer than query heads with grouped-query attention).
    public var keyValueHeadCount: Int
    /// Size of one attention head.
    public var headDimension: Int
    /// Hidden width of the SwiGLU feed-forward block.
    public var intermediateSize: Int
    /// RoPE base (`rope_theta`, GGUF `rope.freq_base`).
    public var ropeTheta: Double
    /// Leading dimensions of each head that RoPE rotates (normally `headDimension`).
    public var ropeDimensions: Int
    /// Long-context frequency scaling, if any.
    public var ropeScaling: RoPEScaling?
    /// Epsilon inside every RMSNorm.
    public var rmsNormEpsilon: Double
    /// Maximum sequence length the model was trained for.
    public var contextLength: Int
    /// Whether the output head reuses the token embedding (no separate `lm_head.weight`).
    public var tiedOutputHead: Bool
    /// Whether the q, k and v projections have biases (Qwen2; Llama with `attention_bias`).
    public var qkvBias: Bool
    /// Whether the attention output projection has a bias (Llama with `attention_bias`).
    public var outputProjectionBias: Bool
    /// Whether the feed-forward projections have biases (`mlp_bias`).
    public var mlpBias: Bool
    /// Beginning-of-sequence token, if the model declares one.
    public var bosTokenID: Int32?
    /// Tokens that end generation.
    public var eosTokenIDs: [Int32]

    /// A configuration from explicit values (defaults: no biases, untied head, no scaling).
    public init(architecture: String = "llama", vocabularySize: Int, hiddenSize: Int, layerCount: Int,
                attentionHeadCount: Int, keyValueHeadCount: Int? = nil, headDimension: Int? = nil,
                intermediateSize: Int, ropeTheta: Double = 10_000, ropeDimensions: Int? = nil,
                ropeScaling: RoPEScaling? = nil, rmsNormEpsilon: Double = 1e-5, contextLength: Int = 2048,
                tiedOutputHead: Bool = false, qkvBias: Bool = false, outputProjectionBias: Bool = false,
                mlpBias: Bool = false, bosTokenID: Int32? = nil, eosTokenIDs: [Int32] = []) {
        self.architecture = architecture
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.attentionHeadCount = attentionHeadCount
        self.keyValueHeadCount = keyValueHeadCount ?? attentionHeadCount
        let head = headDimension ?? (attentionHeadCount > 0 ? hiddenSize / attentionHeadCount : 0)
        self.headDimension = head
        self.intermediateSize = intermediateSize
        self.ropeTheta = ropeTheta
        self.ropeDimensions = ropeDimensions ?? head
        self.ropeScaling = ropeScaling
        self.rmsNormEpsilon = rmsNormEpsilon
        self.contextLength = contextLength
        self.tiedOutputHead = tiedOutputHead
        self.qkvBias = qkvBias
        self.outputProjectionBias = outputProjectionBias
        self.mlpBias = mlpBias
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
    }

    /// The RoPE inverse frequency of each rotated pair, scaling applied
    /// (`ropeDimensions / 2` values).
    public var ropeInverseFrequencies: [Double] {
        RoPEScaling.inverseFrequencies(theta: ropeTheta, dims: ropeDimensions, scaling: ropeScaling)
    }

    /// Query heads that share one key/value head.
    public var queryGroupSize: Int { attentionHeadCount / keyValueHeadCount }

    /// Number of weights (embedding, every layer, final norm, and the head when untied).
    public var parameterCount: Int {
        let q = attentionHeadCount * headDimension, kv = keyValueHeadCount * headDimension
        var layer = hiddenSize * (q + 2 * kv) + q * hiddenSize + 3 * hiddenSize * intermediateSize + 2 * hiddenSize
        if qkvBias { layer += q + 2 * kv }
        if outputProjectionBias { layer += hiddenSize }
        if mlpBias { layer += 2 * intermediateSize + hiddenSize }
        return vocabularySize * hiddenSize * (tiedOutputHead ? 1 : 2) + layerCount * layer + hiddenSize
    }

    /// Checks the values fit together; `file` and `keys` name where they came from in errors.
    func validate(file: String, keys: ConfigKeyNames) throws {
        func positive(_ value: Int, _ key: String) throws {
            guard value > 0 else { throw ModelError.invalidValue(file: file, key: key, problem: "is \(value), expected a positive integer") }
        }
        try positive(vocabularySize, keys.vocabularySize)
        try positive(hiddenSize, keys.hiddenSize)
        try positive(layerCount, keys.layerCount)
        try positive(attentionHeadCount, keys.attentionHeadCount)
        try positive(keyValueHeadCount, keys.keyValueHeadCount)
        try positive(headDimension, keys.headDimension)
        try positive(intermediateSize, keys.intermediateSize)
        try positive(contextLength, keys.contextLength)
        guard attentionHeadCount % keyValueHeadCount == 0 else {
            throw ModelError.invalidValue(file: file, key: keys.keyValueHeadCount,
                                          problem: "is \(keyValueHeadCount), which does not divide the \(attentionHeadCount) attention heads")
        }
        guard ropeDimensions > 0, ropeDimensions % 2 == 0, ropeDimensions <= headDimension else {
            throw ModelError.invalidValue(file: file, key: keys.ropeDimensions,
                                          problem: "is \(ropeDimensions), expected an even number of dimensions ≤ the head size \(headDimension)")
        }
        guard ropeTheta > 0, ropeTheta.isFinite else {
            throw ModelError.invalidValue(file: file, key: keys.ropeTheta, problem: "is \(ropeTheta), expected a positive number")
        }
        guard rmsNormEpsilon >= 0, rmsNormEpsilon.isFinite else {
            throw ModelError.invalidValue(file: file, key: keys.rmsNormEpsilon, problem: "is \(rmsNormEpsilon), expected a small positive number")
        }
        if case .frequencyFactors(let factors)? = ropeScaling, factors.count != ropeDimensions / 2 {
            throw ModelError.invalidValue(file: file, key: "rope_freqs.weight",
                                          problem: "has \(factors.count) values, expected \(ropeDimensions / 2) (one per rotated pair)")
        }
    }
}

/// The names a configuration source uses for each field, so validation errors name the key the
/// user can find in their file.
struct ConfigKeyNames {
    var vocabularySize, hiddenSize, layerCount, attentionHeadCount, keyValueHeadCount: String
    var headDimension, intermediateSize, contextLength, ropeDimensions, ropeTheta, rmsNormEpsilon: String
}
