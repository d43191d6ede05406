import Foundation
import Graft
import GraftIO

/// A Hugging Face model folder written by `graft fuse --format safetensors`: `config.json`,
/// `model.safetensors` with Hugging Face names and q/k row order, and the tokenizer
/// (`tokenizer.json`, `tokenizer_config.json` with the chat template). Float weights (F32, F16
/// or BF16) load in transformers with `AutoModelForCausalLM` / `AutoTokenizer`; quantized ones
/// are stored as mlx-lm stores them (`weight` uint32 packed, `scales`, `biases`, and a
/// `quantization` entry in config.json).
public enum FuseHuggingFaceFolder {
    /// The prepared contents, ready to write.
    public struct Contents {
        /// The weights file.
        public var weights: SafetensorsWriter
        /// `config.json`.
        public var config: [String: Any]
        /// Re-quantization measurements of the fused weights (empty for float output).
        public var report: FuseQuantizationReport
        /// The adapted weights as stored (dequantized or rounded back to float32), by key path, in
        /// the model's q/k row order: what the written model computes with.
        public var stored: [String: [Float]]
        /// `tokenizer.json`, `tokenizer_config.json` and friends (none when nil).
        public var tokenizer: HuggingFaceTokenizerFiles?
    }

    /// `config.json` for `config` (transformers' Llama/Qwen2 keys; `rope_theta` both at the top
    /// level, which mlx-lm reads, and in `rope_parameters`, which transformers 5 writes).
    /// - Throws: ``FuseError/unsupported(_:)`` for RoPE scaling that config.json cannot express.
    public static func configJSON(_ c: ModelConfig) throws -> [String: Any] {
        var rope: [String: Any] = ["rope_type": "default", "rope_theta": c.ropeTheta]
        switch c.ropeScaling {
        case nil: break
        case .linear(let factor)?: rope["rope_type"] = "linear"; rope["factor"] = factor
        case let .llama3(factor, low, high, original)?:
            rope = ["rope_type": "llama3", "rope_theta": c.ropeTheta, "factor": factor, "low_freq_factor": low,
                    "high_freq_factor": high, "original_max_position_embeddings": original]
        case .frequencyFactors?:
            throw FuseError.unsupported("the model's RoPE uses per-frequency factors (rope_freqs.weight), which config.json cannot express; use --format gguf")
        }
        let isQwen2 = c.architecture == "qwen2"
        var json: [String: Any] = [
            "model_type": isQwen2 ? "qwen2" : "llama",
            "architectures": [isQwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM"],
            "vocab_size": c.vocabularySize, "hidden_size": c.hiddenSize, "intermediate_size": c.intermediateSize,
            "num_hidden_layers": c.layerCount, "num_attention_heads": c.attentionHeadCount,
            "num_key_value_heads": c.keyValueHeadCount, "head_dim": c.headDimension, "hidden_act": "silu",
            "max_position_embeddings": c.contextLength, "rms_norm_eps": c.rmsNormEpsilon, "rope_theta": c.ropeTheta,
            "rope_parameters": rope, "tie_word_embeddings": c.tiedOutputHead, "torch_dtype": "float32",
            "initializer_range": 0.02, "use_cache": true,
        ]
        if !isQwen2 {
            json["attention_bias"] = c.qkvBias
            json["mlp_bias"] = c.mlpBias
        }
        if let bos = c.bosTokenID { json["bos_token_id"] = Int(bos) }
        if !c.eosTokenIDs.isEmpty { json["eos_token_id"] = c.eosTokenIDs.count == 1 ? Int(c.eosTokenIDs[0]) : c.eosTokenIDs.map(Int.init) }
        if case .llama3? = c.ropeScaling { json["rope_scaling"] = rope }
        if case .linear? = c.ropeScaling { json["rope_scaling"] = rope }
        return json
    }

    /// Builds the folder's contents from `model` with `fused` replacing the adapted weights
    /// (none: the model as it is, which is `graft convert`).
    ///
    /// Float tensors, and the scales and biases of packed ones, are stored as `floatType`, as
    /// mlx-lm stores them in the model's dtype (nil: the type of `.float(type)`, else F32); the
    /// `stored` weights are rounded the same way. `tokenizer` files are written next to the weights.
    /// - Throws: ``FuseError/unsupported(_:)`` when `floatType` contradicts `.float(type)`;
    ///   ``QuantizationError`` for rows the group size does not divide.
    public static func prepare(model: LlamaModel, fused: [FusedProjection], precision: FusePrecision,
                               floatType: FuseFloatType? = nil, tokenizer: HuggingFaceTokenizerFiles? = nil) throws -> Contents {
        let floats = try precision.floatStorage(floatType)
        let fusedByKey = Dictionary(uniqueKeysWithValues: fused.map { ($0.key, $0) })
        let flat = Dictionary(uniqueKeysWithValues: model.parameters.flattened().map { ($0.path, $0.tensor) })
        let heads = model.attentionHeads
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        var measurements: [FusedDeltaMeasurement] = []
        var stored: [String: [Float]] = [:]
        var packings: [String: (bits: Int, groupSize: Int)] = [:]
        /// Rows of q/k weights and biases go to Hugging Face order.
        func headCount(_ key: String) -> Int? {
            guard model.adapterRowOrder == .interleaved else { return nil }
            if key.contains(".self_attn.q_proj.") { return heads.queryHeads }
            if key.contains(".self_attn.k_proj.") { return heads.keyValueHeads }
            return nil
        }
        func toHF<T>(_ values: [T], columns: Int, key: String, back: Bool = false) -> [T] {
            guard let n = headCount(key) else { return values }
            let map = QKRowPermutation.sourceRows(from: back ? .huggingFace : .interleaved, to: back ? .interleaved : .huggingFace,
                                                  headCount: n, headDimension: heads.headDimension)
            var out = values
            for (row, source) in map.enumerated() { for c in 0..<columns { out[row * columns + c] = values[source * columns + c] } }
            return out
        }
        for key in flat.keys.sorted() where !key.hasSuffix(".scales") && !key.hasSuffix(".biases") {
            let stem = String(key.dropLast(key.hasSuffix(".weight") ? ".weight".count : 0))
            let tensor = flat[key]!
            let packed = key.hasSuffix(".weight") ? model.linearWeights(stem: stem)?.quantizedBase : nil
            let shape = packed.map { [$0.rows, $0.cols] } ?? tensor.shape
            let isMatrix = shape.count == 2
            var target: (bits: Int, groupSize: Int)?
            switch precision {
            case .float: target = nil
            case .keep: target = fusedByKey[key]?.basePacking ?? packed.map { ($0.bits, $0.groupSize) }
            case let .quantized(bits, groupSize): target = isMatrix && shape[1] % groupSize == 0 ? (bits, groupSize) : nil
            }
            let columns = shape.count == 2 ? shape[1] : 1
            if let target, isMatrix {
                packings[stem] = target
                if fusedByKey[key] == nil, let packed, packed.bits == target.bits, packed.groupSize == target.groupSize {
                    // Untouched and already on the target grid: move the packed rows as they are.
                    let words = packed.packed.toArray(as: UInt32.self), groups = packed.cols / packed.groupSize
                    try writer.add(stem + ".weight", integers: toHF(words, columns: packed.packed.shape[1], key: key), shape: packed.packed.shape)
                    try writer.add(stem + ".scales", floats: toHF(packed.scales.toArray(as: Float.self), columns: groups, key: key), shape: packed.scales.shape, as: floats.safetensors)
                    try writer.add(stem + ".biases", floats: toHF(packed.biases.toArray(as: Float.self), columns: groups, key: key), shape: packed.biases.shape, as: floats.safetensors)
                    continue
                }
                let dense = fusedByKey[key]?.fused ?? denseValues(tensor, packed)
                var q = try AffineQuantizer.quantize(toHF(dense, columns: columns, key: key), rows: shape[0], cols: shape[1],
                                                     bits: target.bits, groupSize: target.groupSize)
                if floats != .f32 {
                    // Scales and biases as the file stores them, so `stored` is what loads back.
                    q = try AffineQuantizedMatrix(rows: q.rows, cols: q.cols, bits: q.bits, groupSize: q.groupSize, packed: q.packed,
                                                  scales: q.scales.map(floats.rounded), biases: q.biases.map(floats.rounded))
                }
                if let f = fusedByKey[key] {
                    let dequantized = q.dequantize()
                    measurements.append(FusedDeltaMeasurement(key: key, base: toHF(f.base, columns: columns, key: key),
                                                              fused: toHF(f.fused, columns: columns, key: key), quantized: dequantized))
                    stored[key] = toHF(dequantized, columns: columns, key: key, back: true)
                }
                try writer.add(stem + ".weight", integers: q.packed, shape: [shape[0], q.wordsPerRow])
                try writer.add(stem + ".scales", floats: q.scales, shape: [shape[0], q.groupsPerRow], as: floats.safetensors)
                try writer.add(stem + ".biases", floats: q.biases, shape: [shape[0], q.groupsPerRow], as: floats.safetensors)
            } else {
                let dense = fusedByKey[key]?.fused ?? denseValues(tensor, packed)
                if fusedByKey[key] != nil { stored[key] = dense.map(floats.rounded) }
                try writer.add(key, floats: toHF(dense, columns: columns, key: key), shape: shape, as: floats.safetensors)
            }
        }
        var config = try configJSON(model.config)
        config["torch_dtype"] = floats.torchName
        config["dtype"] = floats.torchName
        if let quantization = quantizationJSON(packings) {
            config["quantization"] = quantization
            config["quantization_config"] = quantization
        }
        return Contents(weights: writer, config: config, report: FuseQuantizationReport(layers: measurements),
                        stored: stored, tokenizer: tokenizer)
    }

    /// Writes prepared contents into `folder` (an existing, empty folder).
    public static func write(_ contents: Contents, into folder: URL) throws {
        try contents.weights.write(to: folder.appendingPathComponent(SafetensorsShardedModel.singleFileName))
        let data = try JSONSerialization.data(withJSONObject: contents.config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicFile.write(data + Data("\n".utf8), to: folder.appendingPathComponent("config.json"))
        try contents.tokenizer?.write(into: folder)
    }

    /// Loads a folder written by ``write(_:into:)`` (or any single-file Hugging Face Llama
    /// folder with float or mlx-lm-quantized weights) as a model with half-split RoPE.
    /// - Throws: ``ModelError`` or ``SafetensorsError`` naming the file.
    public static func load(_ folder: URL) throws -> LlamaModel {
        let config = try ModelConfig(huggingFaceConfig: folder.appendingPathComponent("config.json"))
        let url = folder.appendingPathComponent(SafetensorsShardedModel.singleFileName)
        let file = try SafetensorsFile(contentsOf: url)
        var items: [(String, Tensor)] = []
        for name in file.tensorNames {
            let info = try file.info(name)
            if info.dtype == .u32 {
                let words = try file.withRawBytes(name) { raw in
                    (0..<(raw.count / 4)).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
                }
                items.append((name, Tensor(words, shape: info.shape)))
            } else {
                items.append((name, Tensor(try file.floats(name), shape: info.shape)))
            }
        }
        return try LlamaModel(config: config, parameters: ParameterTree(flattened: items), ropeConvention: .halfSplit, source: url.path)
    }

    private static func denseValues(_ tensor: Tensor, _ packed: QuantizedWeight?) -> [Float] {
        if let packed { return packed.dequantized().toArray(as: Float.self) }
        return tensor.astype(.float32).toArray(as: Float.self)
    }

    /// mlx-lm's `quantization` entry: the most common packing, plus per-module overrides.
    private static func quantizationJSON(_ packings: [String: (bits: Int, groupSize: Int)]) -> [String: Any]? {
        guard !packings.isEmpty else { return nil }
        var counts: [String: Int] = [:]
        for p in packings.values { counts["\(p.bits)/\(p.groupSize)", default: 0] += 1 }
        let common = counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }!.key.split(separator: "/").map { Int($0)! }
        var json: [String: Any] = ["bits": common[0], "group_size": common[1], "mode": "affine"]
        for (stem, p) in packings where p.bits != common[0] || p.groupSize != common[1] {
            json[stem] = ["bits": p.bits, "group_size": p.groupSize]
        }
        return json
    }
}

extension LlamaModel {
    /// The projection stored under `stem` (`model.embed_tokens`, `lm_head`,
    /// `model.layers.3.self_attn.q_proj`), or nil for norms and unknown paths.
    func linearWeights(stem: String) -> LinearWeights? {
        if stem == "model.embed_tokens" { return embedding }
        if stem == "lm_head" { return config.tiedOutputHead ? nil : outputHead }
        let parts = stem.split(separator: ".").map(String.init)
        guard parts.count == 5, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]),
              layer >= 0, layer < config.layerCount else { return nil }
        return projection(layer: layer, module: parts[3] + "." + parts[4])
    }
}

extension LinearWeights {
    /// The packed base weight, when the projection is quantized.
    var quantizedBase: QuantizedWeight? {
        if case .quantized(let q) = base { return q }
        return nil
    }
}
