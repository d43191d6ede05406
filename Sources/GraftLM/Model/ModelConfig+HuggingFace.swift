import Foundation

extension ModelConfig {
    /// Hugging Face `model_type` values Graft can run.
    public static let supportedHuggingFaceModelTypes = ["llama", "qwen2"]

    /// Reads a Hugging Face `config.json`.
    ///
    /// RoPE settings are read both where transformers ≤ 4 wrote them (top-level `rope_theta`,
    /// `rope_scaling`) and where transformers 5 writes them (`rope_parameters.rope_theta`,
    /// `rope_parameters.rope_type`, …); values given in both places must agree. Rope types
    /// "default", "linear" and "llama3" are understood; any other is refused, as are
    /// activations other than SiLU, partial rotary factors and sliding-window attention.
    /// Absent optional keys take transformers' class defaults.
    /// - Throws: ``ModelError`` naming the file and the key it cannot interpret.
    public init(huggingFaceConfig url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError.unreadableConfig(file: url.path, reason: (error as NSError).localizedDescription)
        }
        try self.init(huggingFaceConfigJSON: data, source: url.path)
    }

    /// Reads a Hugging Face `config.json` from its bytes; `source` names it in errors.
    public init(huggingFaceConfigJSON data: Data, source: String) throws {
        let json = try ConfigJSON(data: data, file: source)
        guard let modelType = try json.string("model_type") else { throw ModelError.missingKey(file: source, key: "model_type") }
        guard Self.supportedHuggingFaceModelTypes.contains(modelType) else {
            throw ModelError.unsupportedArchitecture(file: source, architecture: modelType,
                                                     supported: Self.supportedHuggingFaceModelTypes)
        }
        let isQwen2 = modelType == "qwen2"
        if let activation = try json.string("hidden_act"), activation != "silu" {
            throw ModelError.unsupportedValue(file: source, key: "hidden_act", value: "\"\(activation)\" (Graft's MLP is SwiGLU with SiLU)")
        }
        if isQwen2, try json.bool("use_sliding_window") == true {
            throw ModelError.unsupportedValue(file: source, key: "use_sliding_window", value: "true")
        }
        let hidden = try json.requiredInt("hidden_size")
        let heads = try json.requiredInt("num_attention_heads")
        let headDim = try json.int("head_dim") ?? (heads > 0 ? hidden / heads : 0)
        let rope = try Self.huggingFaceRoPE(json)
        let attentionBias = try json.bool("attention_bias") ?? false
        self.init(architecture: modelType, vocabularySize: try json.requiredInt("vocab_size"), hiddenSize: hidden,
                  layerCount: try json.requiredInt("num_hidden_layers"), attentionHeadCount: heads,
                  keyValueHeadCount: try json.int("num_key_value_heads") ?? heads, headDimension: headDim,
                  intermediateSize: try json.requiredInt("intermediate_size"), ropeTheta: rope.theta,
                  ropeDimensions: headDim, ropeScaling: rope.scaling,
                  rmsNormEpsilon: try json.double("rms_norm_eps") ?? 1e-6,
                  contextLength: try json.int("max_position_embeddings") ?? (isQwen2 ? 32768 : 2048),
                  tiedOutputHead: try json.bool("tie_word_embeddings") ?? false,
                  qkvBias: isQwen2 || attentionBias, outputProjectionBias: !isQwen2 && attentionBias,
                  mlpBias: isQwen2 ? false : (try json.bool("mlp_bias") ?? false),
                  bosTokenID: try json.intList("bos_token_id")?.first.map(Int32.init),
                  eosTokenIDs: try json.intList("eos_token_id")?.map(Int32.init) ?? [])
        try validate(file: source, keys: ConfigKeyNames(
            vocabularySize: "vocab_size", hiddenSize: "hidden_size", layerCount: "num_hidden_layers",
            attentionHeadCount: "num_attention_heads", keyValueHeadCount: "num_key_value_heads",
            headDimension: "head_dim", intermediateSize: "intermediate_size", contextLength: "max_position_embeddings",
            ropeDimensions: "head_dim", ropeTheta: "rope_theta", rmsNormEpsilon: "rms_norm_eps"))
    }

    /// Theta and scaling from `rope_theta` / `rope_scaling` (transformers ≤ 4) and
    /// `rope_parameters` (transformers 5).
    private static func huggingFaceRoPE(_ json: ConfigJSON) throws -> (theta: Double, scaling: RoPEScaling?) {
        let parameters = try json.object("rope_parameters")
        let legacy = try json.object("rope_scaling")
        var theta = try json.double("rope_theta")
        if let nested = try parameters?.double("rope_theta") {
            if let top = theta, top != nested {
                throw ModelError.invalidValue(file: json.file, key: "rope_parameters.rope_theta",
                                              problem: "is \(nested) but the top-level rope_theta is \(top); the file is ambiguous")
            }
            theta = nested
        }
        // The scaling description: whichever of the two objects names a type other than "default".
        func type(of object: ConfigJSON?) throws -> String? {
            guard let object else { return nil }
            return try object.string("rope_type") ?? object.string("type")
        }
        func typeKey(of object: ConfigJSON) throws -> String {
            object.prefix + (try object.string("rope_type") != nil ? "rope_type" : "type")
        }
        var chosen: ConfigJSON?
        for candidate in [parameters, legacy] {
            guard let candidate, let kind = try type(of: candidate), kind != "default" else { continue }
            if let previous = chosen, try type(of: previous) != kind {
                throw ModelError.invalidValue(file: json.file, key: try typeKey(of: candidate),
                                              problem: "is \"\(kind)\" but \(try typeKey(of: previous)) is \"\(try type(of: previous) ?? "")\"")
            }
            chosen = chosen ?? candidate
        }
        for object in [parameters, legacy].compactMap({ $0 }) {
            if let factor = try object.double("partial_rotary_factor"), factor != 1 {
                throw ModelError.unsupportedValue(file: json.file, key: object.prefix + "partial_rotary_factor", value: "\(factor)")
            }
        }
        if let factor = try json.double("partial_rotary_factor"), factor != 1 {
            throw ModelError.unsupportedValue(file: json.file, key: "partial_rotary_factor", value: "\(factor)")
        }
        let base = theta ?? 10_000
        guard let scaling = chosen, let kind = try type(of: scaling) else { return (base, nil) }
        switch kind {
        case "linear":
            return (base, .linear(factor: try scaling.requiredDouble("factor")))
        case "llama3":
            return (base, .llama3(factor: try scaling.requiredDouble("factor"),
                                  lowFrequencyFactor: try scaling.requiredDouble("low_freq_factor"),
                                  highFrequencyFactor: try scaling.requiredDouble("high_freq_factor"),
                                  originalContextLength: try scaling.requiredInt("original_max_position_embeddings")))
        default:
            throw ModelError.unsupportedValue(file: json.file, key: try typeKey(of: scaling), value: "\"\(kind)\"")
        }
    }
}
