import Foundation
import Graft
import GraftIO

extension LlamaModel {
    /// Loads a Hugging Face model folder: `config.json` and the weights in `model.safetensors` or
    /// in the shards listed by `model.safetensors.index.json`.
    ///
    /// Weights keep their Hugging Face names and row order, so the model uses
    /// ``RoPEConvention/halfSplit``. F32, F16 and BF16 tensors become float32. A folder written by
    /// mlx-lm with a `quantization` block in `config.json` keeps its quantized modules packed
    /// (`weight` uint32, `scales` and `biases` widened to float32). With `quantize`, every float
    /// 2-D weight (projections, output head, embedding) is quantized as it is read.
    /// When the head is tied, an `lm_head.weight` in the files is ignored. EOS ids of
    /// `generation_config.json` join those of `config.json`.
    /// - Throws: ``ModelError`` naming the file at fault: a missing `config.json`, a missing
    ///   tensor, a wrong shape, an unsupported dtype, a quantization the kernels cannot run,
    ///   `quantize` on an already quantized folder; ``SafetensorsError`` for unreadable weights.
    public static func load(huggingFace directory: URL, quantize: QuantizeOption? = nil) throws -> LlamaModel {
        let configURL = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw ModelError.unreadableConfig(
                file: configURL.path, reason: "the file does not exist (a Hugging Face model folder has config.json next to its weights)")
        }
        var config = try ModelConfig(huggingFaceConfig: configURL)
        config.eosTokenIDs = try mergedEOS(config.eosTokenIDs, directory: directory)
        let json = try ConfigJSON(data: try Data(contentsOf: configURL), file: configURL.path)
        let block = try MLXQuantizationBlock(json)
        if let block, quantize != nil {
            throw ModelError.invalidInput(
                "\(configURL.path): the model is already quantized (\(block.key): \(block.defaults)); --quantize applies to float models only")
        }
        let reader = try HuggingFaceWeightReader(directory: directory, configPath: configURL.path, block: block, quantize: quantize)
        func build() throws -> LlamaModel {
            try LlamaModel(config: config, parameters: try reader.parameters(config: config), ropeConvention: .halfSplit,
                           source: directory.path)
        }
        // Weights as stored (float16/bfloat16 widen to float32: up to 2× the files) go into one
        // huge-page region, as GGUF models' do; quantizing at load makes temporaries, which
        // would stay in the region, so it allocates as usual.
        guard quantize == nil else { return try build() }
        return try Allocator.withHugePageRegion(reserving: 2 * safetensorsBytes(in: directory) + (64 << 20), build)
    }

    /// Total size of the folder's `.safetensors` files.
    private static func safetensorsBytes(in directory: URL) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".safetensors") }.reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)
            return total + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
        }
    }

    /// `eos` plus the `eos_token_id` values of the folder's `generation_config.json`, if any.
    private static func mergedEOS(_ eos: [Int32], directory: URL) throws -> [Int32] {
        let url = directory.appendingPathComponent("generation_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return eos }
        let json = try ConfigJSON(data: try Data(contentsOf: url), file: url.path)
        var merged = eos
        for id in try json.intList("eos_token_id") ?? [] where !merged.contains(Int32(id)) { merged.append(Int32(id)) }
        return merged
    }
}

/// Reads the tensors of a Hugging Face folder into a parameter tree with Hugging Face key paths,
/// checking names, dtypes and shapes against the configuration.
private struct HuggingFaceWeightReader {
    let store: SafetensorsShardedModel
    /// The file that lists the tensors (index or single file), named when a tensor is missing.
    let listing: String
    let configPath: String
    let block: MLXQuantizationBlock?
    let quantize: QuantizeOption?

    init(directory: URL, configPath: String, block: MLXQuantizationBlock?, quantize: QuantizeOption?) throws {
        let manager = FileManager.default
        let index = directory.appendingPathComponent(SafetensorsShardedModel.indexFileName)
        let single = directory.appendingPathComponent(SafetensorsShardedModel.singleFileName)
        if !manager.fileExists(atPath: index.path) && !manager.fileExists(atPath: single.path) {
            let others = ["pytorch_model.bin", "pytorch_model.bin.index.json", "model.safetensors.index.json"]
                .filter { manager.fileExists(atPath: directory.appendingPathComponent($0).path) }
            let hint = others.isEmpty ? "" : " (found \(others.joined(separator: ", ")); Graft reads safetensors only)"
            throw ModelError.invalidInput(
                "\(directory.path): no model weights: neither \(SafetensorsShardedModel.singleFileName) nor "
                    + "\(SafetensorsShardedModel.indexFileName) exists\(hint)")
        }
        store = try SafetensorsShardedModel(directory: directory)
        listing = manager.fileExists(atPath: index.path) ? index.path : single.path
        self.configPath = configPath
        self.block = block
        self.quantize = quantize
    }

    /// The whole tree, structured like the GGUF loader's (layers as a list).
    func parameters(config c: ModelConfig) throws -> ParameterTree {
        let h = c.hiddenSize, q = c.attentionHeadCount * c.headDimension, kv = c.keyValueHeadCount * c.headDimension
        var layers: [ParameterTree] = []
        layers.reserveCapacity(c.layerCount)
        for index in 0..<c.layerCount {
            let p = "model.layers.\(index)."
            layers.append(.dict([
                "input_layernorm": try vector(p + "input_layernorm", length: h),
                "post_attention_layernorm": try vector(p + "post_attention_layernorm", length: h),
                "self_attn": .dict([
                    "q_proj": try matrix(p + "self_attn.q_proj", out: q, in: h, bias: c.qkvBias),
                    "k_proj": try matrix(p + "self_attn.k_proj", out: kv, in: h, bias: c.qkvBias),
                    "v_proj": try matrix(p + "self_attn.v_proj", out: kv, in: h, bias: c.qkvBias),
                    "o_proj": try matrix(p + "self_attn.o_proj", out: h, in: q, bias: c.outputProjectionBias),
                ]),
                "mlp": .dict([
                    "gate_proj": try matrix(p + "mlp.gate_proj", out: c.intermediateSize, in: h, bias: c.mlpBias),
                    "up_proj": try matrix(p + "mlp.up_proj", out: c.intermediateSize, in: h, bias: c.mlpBias),
                    "down_proj": try matrix(p + "mlp.down_proj", out: h, in: c.intermediateSize, bias: c.mlpBias),
                ]),
            ]))
        }
        var root: [String: ParameterTree] = [
            "model": .dict([
                "embed_tokens": try matrix("model.embed_tokens", out: c.vocabularySize, in: h, bias: false),
                "layers": .list(layers),
                "norm": try vector("model.norm", length: h),
            ]),
        ]
        if !c.tiedOutputHead { root["lm_head"] = try matrix("lm_head", out: c.vocabularySize, in: h, bias: false) }
        return .dict(root)
    }

    // MARK: - Modules

    /// A norm: `path.weight` of shape `[length]`.
    private func vector(_ path: String, length: Int) throws -> ParameterTree {
        .dict(["weight": .tensor(try floatTensor(path + ".weight", shape: [length]))])
    }

    /// A projection or the embedding `[out, in]`, dense or packed, with its bias when `bias`.
    private func matrix(_ path: String, out: Int, in inputs: Int, bias: Bool) throws -> ParameterTree {
        let weightName = path + ".weight"
        guard store.weightMap[weightName] != nil else { throw ModelError.missingTensor(file: listing, name: weightName) }
        var entries: [String: ParameterTree]
        if store.weightMap[path + ".scales"] != nil {
            entries = try packed(path, out: out, in: inputs)
        } else if let quantize {
            let values = try floats(weightName, shape: [out, inputs])
            let q = try ModelQuantization.quantize(values, rows: out, cols: inputs, option: quantize, name: weightName,
                                                   source: try shardPath(weightName))
            entries = ModelQuantization.moduleEntries(q)
        } else {
            entries = ["weight": .tensor(try floatTensor(weightName, shape: [out, inputs]))]
        }
        if bias { entries["bias"] = .tensor(try floatTensor(path + ".bias", shape: [out])) }
        return .dict(entries)
    }

    /// An mlx-lm quantized module: `weight` uint32 `[out, in·bits/32]`, `scales` and `biases`
    /// `[out, in/group]`, with bits and group size from config.json's quantization block.
    private func packed(_ path: String, out: Int, in inputs: Int) throws -> [String: ParameterTree] {
        guard let block else {
            throw ModelError.invalidInput(
                "\(configPath): the weights hold a quantized module ('\(path).scales' in \(try shardPath(path + ".scales"))) "
                    + "but config.json has no \"quantization\" block giving its bits and group size")
        }
        guard let option = block.parameters(forModule: path) else {
            throw ModelError.invalidInput(
                "\(configPath): \(block.key).\(path) is false (not quantized) but the weights hold '\(path).scales'")
        }
        guard inputs % option.groupSize == 0 else {
            throw ModelError.invalidValue(
                file: configPath, key: block.key + ".group_size",
                problem: "is \(option.groupSize), which does not divide the row length \(inputs) of '\(path)'")
        }
        let weightName = path + ".weight"
        let info = try store.info(weightName)
        guard info.dtype == .u32 else {
            throw ModelError.invalidInput(
                "\(try shardPath(weightName)): tensor '\(weightName)' has dtype \(info.dtype.rawValue), but a quantized module "
                    + "(it has '\(path).scales') stores its weight as U32 packed values")
        }
        let words = [out, inputs * option.bits / 32]
        try checkShape(weightName, info.shape, words)
        let packed = try store.withRawBytes(weightName) { raw in
            [UInt32](unsafeUninitializedCapacity: words[0] * words[1]) { buffer, initialized in
                for i in 0..<buffer.count { buffer[i] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
                initialized = buffer.count
            }
        }
        let groups = [out, inputs / option.groupSize]
        return [
            "weight": .tensor(Tensor(packed, shape: words)),
            "scales": .tensor(try floatTensor(path + ".scales", shape: groups)),
            "biases": .tensor(try floatTensor(path + ".biases", shape: groups)),
        ]
    }

    // MARK: - Tensors

    /// The shard file holding `name` (its full path).
    private func shardPath(_ name: String) throws -> String { try store.file(containing: name).path }

    private func checkShape(_ name: String, _ found: [Int], _ expected: [Int]) throws {
        guard found == expected else {
            throw ModelError.shapeMismatch(file: try shardPath(name), name: name, expected: expected, found: found)
        }
    }

    /// Tensor `name` (F32, F16 or BF16) as floats, after checking its shape.
    private func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard store.weightMap[name] != nil else { throw ModelError.missingTensor(file: listing, name: name) }
        let info = try store.info(name)
        guard [.f32, .f16, .bf16].contains(info.dtype) else {
            throw ModelError.invalidInput(
                "\(try shardPath(name)): tensor '\(name)' has dtype \(info.dtype.rawValue), which Graft does not load "
                    + "(weights must be F32, F16 or BF16, or U32 packed with scales and biases)")
        }
        try checkShape(name, info.shape, shape)
        return try store.floats(name)
    }

    private func floatTensor(_ name: String, shape: [Int]) throws -> Tensor {
        Tensor(try floats(name, shape: shape), shape: shape)
    }
}
