import Foundation
import Graft
import GraftIO

extension LlamaModel {
    /// Loads a `llama`-architecture GGUF file: configuration from its metadata, every weight
    /// dequantized to a dense float32 tensor under its Hugging Face key path.
    ///
    /// The q/k projection rows stay in the file's (interleaved) order, so the model uses
    /// ``RoPEConvention/interleavedPairs`` (formats.md §1.10).
    /// - Throws: ``GGUFError`` for a missing or malformed file, ``ModelError`` for an
    ///   unsupported architecture, a missing tensor or a wrong shape; each names the file.
    public static func load(gguf url: URL, dequantize: Bool = false) throws -> LlamaModel {
        try LlamaModel(gguf: GGUFFile(path: url.path), dequantize: dequantize)
    }

    /// Builds the model from an opened GGUF file (see ``load(gguf:)``), its weights in one
    /// huge-page region in the order a forward pass reads them (see `Allocator.withHugePageRegion`).
    public init(gguf file: GGUFFile, dequantize: Bool = false) throws {
        // Packed weights take about the file's bytes (Q8_0 a little more); float32 up to 8×.
        let reserve = file.fileSize * (dequantize ? 9 : 2) + (64 << 20)
        self = try Allocator.withHugePageRegion(reserving: reserve) { try LlamaModel(building: file, dequantize: dequantize) }
    }

    private init(building file: GGUFFile, dequantize: Bool) throws {
        let config = try ModelConfig(gguf: file)
        func load(_ path: String, required: Bool) throws -> Tensor? {
            guard let name = LlamaTensorNames.ggufName(forHuggingFace: path) else {
                preconditionFailure("no GGUF name for \(path)")
            }
            guard let tensor = file.tensor(named: name) else {
                if required { throw ModelError.missingTensor(file: file.path, name: name) }
                return nil
            }
            return Tensor(try tensor.floats(), shape: tensor.shape)
        }
        /// Q4_0 / Q4_1 / Q8_0 matrices stay packed (affine groups of 32, converted losslessly);
        /// everything else, or everything with `dequantize`, becomes float32.
        func packed(_ path: String) throws -> [String: ParameterTree]? {
            guard !dequantize, let name = LlamaTensorNames.ggufName(forHuggingFace: path),
                  let tensor = file.tensor(named: name), tensor.shape.count == 2,
                  [.q4_0, .q4_1, .q8_0].contains(tensor.type) else { return nil }
            let q = try tensor.affineGroups().quantizedWeight()
            return ["weight": .tensor(q.packed), "scales": .tensor(q.scales), "biases": .tensor(q.biases)]
        }
        func module(_ path: String, bias: Bool) throws -> ParameterTree {
            var entries: [String: ParameterTree]
            if let p = try packed(path + ".weight") {
                entries = p
            } else {
                entries = ["weight": .tensor(try load(path + ".weight", required: true)!)]
            }
            if bias, let b = try load(path + ".bias", required: true) { entries["bias"] = .tensor(b) }
            return .dict(entries)
        }
        var layers: [ParameterTree] = []
        layers.reserveCapacity(config.layerCount)
        for index in 0..<config.layerCount {
            let p = "model.layers.\(index)."
            // Loaded one after another in the order a forward pass reads them (they are laid out so).
            let inputNorm = try module(p + "input_layernorm", bias: false)
            let attention: [String: ParameterTree] = [
                "q_proj": try module(p + "self_attn.q_proj", bias: config.qkvBias),
                "k_proj": try module(p + "self_attn.k_proj", bias: config.qkvBias),
                "v_proj": try module(p + "self_attn.v_proj", bias: config.qkvBias),
                "o_proj": try module(p + "self_attn.o_proj", bias: config.outputProjectionBias),
            ]
            let attentionNorm = try module(p + "post_attention_layernorm", bias: false)
            let mlp: [String: ParameterTree] = [
                "gate_proj": try module(p + "mlp.gate_proj", bias: config.mlpBias),
                "up_proj": try module(p + "mlp.up_proj", bias: config.mlpBias),
                "down_proj": try module(p + "mlp.down_proj", bias: config.mlpBias),
            ]
            layers.append(.dict(["input_layernorm": inputNorm, "self_attn": .dict(attention),
                                 "post_attention_layernorm": attentionNorm, "mlp": .dict(mlp)]))
        }
        var root: [String: ParameterTree] = [
            "model": .dict([
                "embed_tokens": try module("model.embed_tokens", bias: false),
                "layers": .list(layers),
                "norm": try module("model.norm", bias: false),
            ]),
        ]
        if !config.tiedOutputHead { root["lm_head"] = try module("lm_head", bias: false) }
        try self.init(config: config, parameters: .dict(root), ropeConvention: .interleavedPairs, source: file.path)
    }
}
