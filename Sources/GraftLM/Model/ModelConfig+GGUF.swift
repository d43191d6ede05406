import GraftIO

extension ModelConfig {
    /// GGUF `general.architecture` values Graft can run.
    public static let supportedGGUFArchitectures = ["llama"]

    /// Reads the configuration from a GGUF file's metadata (formats.md §1.9).
    ///
    /// Keys are `{arch}.…`; absent optional keys take llama.cpp's defaults (kv heads = heads,
    /// head size = hidden / heads, `rope.freq_base` = 10000, rotated dims = head size). The
    /// vocabulary size is the row count of `token_embd.weight`; the head is tied when the file has
    /// no `output.weight`; biases are present when the file holds them; a `rope_freqs.weight`
    /// tensor (Llama 3.1 style) becomes `.frequencyFactors`.
    /// - Throws: ``ModelError`` naming the file and key or tensor at fault, or the
    ///   ``GGUFError`` of a malformed value.
    public init(gguf file: GGUFFile) throws {
        let path = file.path
        let architecture = try file.requiredString("general.architecture")
        guard Self.supportedGGUFArchitectures.contains(architecture) else {
            throw ModelError.unsupportedArchitecture(file: path, architecture: architecture,
                                                     supported: Self.supportedGGUFArchitectures)
        }
        let p = architecture + "."
        func required(_ key: String) throws -> Int {
            guard let value = try file.int(p + key) else { throw ModelError.missingKey(file: path, key: p + key) }
            return value
        }
        let hidden = try required("embedding_length")
        let heads = try required("attention.head_count")
        let kvHeads = try file.int(p + "attention.head_count_kv") ?? heads
        let headDim = try file.int(p + "attention.key_length") ?? (heads > 0 ? hidden / heads : 0)
        if let valueLength = try file.int(p + "attention.value_length"), valueLength != headDim {
            throw ModelError.unsupportedValue(file: path, key: p + "attention.value_length",
                                              value: "\(valueLength) (≠ key_length \(headDim))")
        }
        guard let epsilon = try file.double(p + "attention.layer_norm_rms_epsilon") else {
            throw ModelError.missingKey(file: path, key: p + "attention.layer_norm_rms_epsilon")
        }
        let embedding = try file.requireTensor("token_embd.weight")
        guard embedding.shape.count == 2, embedding.shape[1] == hidden else {
            throw ModelError.shapeMismatch(file: path, name: "token_embd.weight", expected: [embedding.shape.first ?? 0, hidden],
                                           found: embedding.shape)
        }
        if let declared = try file.int(p + "vocab_size"), declared != embedding.shape[0] {
            throw ModelError.invalidValue(file: path, key: p + "vocab_size",
                                          problem: "is \(declared) but token_embd.weight has \(embedding.shape[0]) rows")
        }
        let headDimKeyName = p + "attention.key_length"
        let ropeDims = try file.int(p + "rope.dimension_count") ?? headDim
        let scaling = try Self.ggufRoPEScaling(file, prefix: p)
        var eos: [Int32] = []
        for key in ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            if let id = try file.int(key), !eos.contains(Int32(id)) { eos.append(Int32(id)) }
        }
        self.init(architecture: architecture, vocabularySize: embedding.shape[0], hiddenSize: hidden,
                  layerCount: try required("block_count"), attentionHeadCount: heads, keyValueHeadCount: kvHeads,
                  headDimension: headDim, intermediateSize: try required("feed_forward_length"),
                  ropeTheta: try file.double(p + "rope.freq_base") ?? 10_000, ropeDimensions: ropeDims,
                  ropeScaling: scaling, rmsNormEpsilon: epsilon, contextLength: try required("context_length"),
                  tiedOutputHead: file.tensor(named: "output.weight") == nil,
                  qkvBias: file.tensor(named: "blk.0.attn_q.bias") != nil,
                  outputProjectionBias: file.tensor(named: "blk.0.attn_output.bias") != nil,
                  mlpBias: file.tensor(named: "blk.0.ffn_gate.bias") != nil,
                  bosTokenID: try file.int("tokenizer.ggml.bos_token_id").map(Int32.init), eosTokenIDs: eos)
        try validate(file: path, keys: ConfigKeyNames(
            vocabularySize: "token_embd.weight", hiddenSize: p + "embedding_length", layerCount: p + "block_count",
            attentionHeadCount: p + "attention.head_count", keyValueHeadCount: p + "attention.head_count_kv",
            headDimension: headDimKeyName, intermediateSize: p + "feed_forward_length",
            contextLength: p + "context_length", ropeDimensions: p + "rope.dimension_count",
            ropeTheta: p + "rope.freq_base", rmsNormEpsilon: p + "attention.layer_norm_rms_epsilon"))
    }

    /// `{arch}.rope.scaling.type` ("none" or "linear"), or a `rope_freqs.weight` table.
    private static func ggufRoPEScaling(_ file: GGUFFile, prefix p: String) throws -> RoPEScaling? {
        let typeKey = p + "rope.scaling.type"
        switch try file.string(typeKey) {
        case nil, "none"?:
            break
        case "linear"?:
            guard let factor = try file.double(p + "rope.scaling.factor") else {
                throw ModelError.missingKey(file: file.path, key: p + "rope.scaling.factor")
            }
            guard factor > 0 else {
                throw ModelError.invalidValue(file: file.path, key: p + "rope.scaling.factor", problem: "is \(factor), expected > 0")
            }
            if factor != 1 { return .linear(factor: factor) }
        case let other?:
            throw ModelError.unsupportedValue(file: file.path, key: typeKey, value: "\"\(other)\"")
        }
        if let table = file.tensor(named: "rope_freqs.weight") {
            return .frequencyFactors(try table.floats().map(Double.init))
        }
        return nil
    }
}
