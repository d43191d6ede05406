import Foundation
import Graft
import GraftNN

extension LlamaModel {
    /// LoRA adapters for a forward pass: the adapter tree (model key paths) and its settings.
    struct Adapters {
        let tree: ParameterTree
        let lora: LoRAConfig
        let dropoutKey: RandomKey?

        /// One block's adapters, by module path inside the block (`self_attn.q_proj`, ...).
        struct Layer {
            let modules: ParameterTree
            let lora: LoRAConfig
            let dropoutKey: RandomKey?

            func apply(_ w: LinearWeights, _ module: String, _ x: Tensor, activations: ActivationPrecision) -> Tensor {
                guard let adapter = modules.subtree(module) else { return w.apply(x, activations: activations) }
                return w.apply(x, adapter: adapter, lora: lora, dropoutKey: dropoutKey?.folded(with: module.hashValueStable),
                               activations: activations)
            }
        }

        func layer(_ index: Int) -> Layer? {
            guard let modules = tree.subtree("model.layers.\(index)") else { return nil }
            return Layer(modules: modules, lora: lora, dropoutKey: dropoutKey?.folded(with: index))
        }
    }

    /// The projection of block `layer` at `module` (`self_attn.q_proj`, `mlp.down_proj`, ...).
    func projection(layer: Int, module: String) -> LinearWeights? {
        let l = layers[layer]
        switch module {
        case "self_attn.q_proj": return l.query
        case "self_attn.k_proj": return l.key
        case "self_attn.v_proj": return l.value
        case "self_attn.o_proj": return l.output
        case "mlp.gate_proj": return l.gate
        case "mlp.up_proj": return l.up
        case "mlp.down_proj": return l.down
        default: return nil
        }
    }
}

extension LlamaModel: AdaptableModel {
    public var layerCount: Int { config.layerCount }
    public var baseParameterCount: Int { config.parameterCount }
    public var baseByteCount: Int { parameters.tensors.reduce(0) { $0 + $1.size * $1.dtype.size } }

    /// FNV-1a over the configuration, every weight's shape and dtype, and the first bytes of
    /// every weight: cheap, and different for any other base model or quantization.
    public var fingerprint: String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ bytes: UnsafeRawBufferPointer) { for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01B3 } }
        Array("\(config)".utf8).withUnsafeBytes(mix)
        for (path, t) in parameters.flattened() {
            Array("\(path)\(t.shape)\(t.dtype)".utf8).withUnsafeBytes(mix)
            if let buffer = t.node.buffer { mix(UnsafeRawBufferPointer(start: buffer.data, count: min(256, buffer.byteCount))) }
        }
        return String(format: "fnv1a64:%016llx", hash)
    }

    /// Logits `[B, T, V]` for int32 tokens `[B, T]` with `adapters` applied; `dropoutKey` turns
    /// on LoRA dropout.
    public func logits(_ tokens: Tensor, adapters: ParameterTree, lora: LoRAConfig, dropoutKey: RandomKey?) -> Tensor {
        let a = Adapters(tree: adapters, lora: lora, dropoutKey: dropoutKey)
        return outputLogits(hiddenStates(tokens, cache: nil, layerLimit: nil, adapters: a))
    }

    /// The output head runs only on the trained positions: their hidden states are gathered
    /// before the final norm and head, so the `[B, T, V]` logits (and their gradient) of prompt
    /// and padding positions are never made. Equal to the masked mean over full logits.
    public func loss(_ batch: TrainingBatch, adapters: ParameterTree, lora: LoRAConfig, dropoutKey: RandomKey?) -> Tensor {
        let a = Adapters(tree: adapters, lora: lora, dropoutKey: dropoutKey)
        let hidden = hiddenStates(batch.inputs, cache: nil, layerLimit: nil, adapters: a)
        let positions = batch.lossMask.indices.filter { batch.lossMask[$0] }.map { Int32($0) }
        guard !positions.isEmpty else { return Tensor.zeros([]) }
        let rows = hidden.reshaped([batch.batchSize * batch.length, config.hiddenSize])
            .take(Tensor(positions, shape: [positions.count]), axis: 0)
        let targets = Tensor(positions.map { batch.targetIDs[Int($0)] }, shape: [positions.count])
        return Tensor.crossEntropy(logits: outputLogits(rows), targets: targets)
    }

    public func makeAdapters(modules: [String], layers: [Int], lora: LoRAConfig, key: RandomKey) throws -> ParameterTree {
        var items: [(String, Tensor)] = []
        for layer in layers {
            guard layer >= 0 && layer < config.layerCount else {
                throw ModelError.invalidInput("LoRA layer \(layer) is outside the model's \(config.layerCount) layers")
            }
            for (m, module) in modules.enumerated() {
                guard let w = projection(layer: layer, module: module) else {
                    throw ModelError.invalidInput("unknown LoRA target module '\(module)'")
                }
                let p = LoRA.parameters(for: w.base, config: lora, key: key.folded(with: layer * 64 + m))
                for (name, t) in p.flattened() { items.append(("model.layers.\(layer).\(module).\(name)", t)) }
            }
        }
        return ParameterTree(flattened: items)
    }
}

extension String {
    /// A hash that is the same in every process (Swift's `hashValue` is seeded per process).
    var hashValueStable: Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return Int(truncatingIfNeeded: h)
    }
}
