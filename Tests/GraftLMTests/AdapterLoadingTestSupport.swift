import Foundation
import Graft
import GraftIO
import GraftLM
import GraftNN
import XCTest

/// The adapter used by the adapter and fuse tests, and the fixtures that
/// scripts/fixtures/adapters.py records for it with transformers + peft.
enum AdapterTestSupport {
    /// Layers and modules of the test adapter: rank 2 on every linear module of the last two blocks.
    static let layers = [28, 29]
    static let settings = LoRAAdapterSettings(rank: 2, alpha: 4, dropout: 0, dora: false, baseModel: "SmolLM2-135M-Instruct.Q4_1.gguf")

    /// A deterministic adapter for `model` in its (GGUF) row order: A uniform in ±1/√in as at
    /// initialisation, B uniform in ±`bScale` (trained B are not zero).
    static func adapter(for model: LlamaModel, bScale: Double = 0.5, seed: UInt64 = 2024) -> LoRAAdapter {
        var tensors: [String: Tensor] = [:]
        let key = RandomKey(seed: seed)
        for layer in layers {
            for (m, module) in LoRAAdapter.modules.enumerated() {
                let shape = projectionShape(model, module)
                let (out, inputs) = (shape[0], shape[1])
                let k = key.folded(with: layer * 16 + m)
                let bound = 1 / Double(inputs).squareRoot()
                let a = Tensor.uniform([2, inputs], low: -bound, high: bound, key: k.folded(with: 1))
                let b = Tensor.uniform([out, 2], low: -bScale, high: bScale, key: k.folded(with: 2))
                tensors["model.layers.\(layer).\(module).lora_a"] = Tensor(a.toArray(as: Float.self), shape: a.shape)
                tensors["model.layers.\(layer).\(module).lora_b"] = Tensor(b.toArray(as: Float.self), shape: b.shape)
            }
        }
        return LoRAAdapter(tensors: tensors, settings: settings, rowOrder: model.adapterRowOrder)
    }

    static func projectionShape(_ model: LlamaModel, _ module: String) -> [Int] {
        let c = model.config
        switch module {
        case "self_attn.q_proj": return [c.attentionHeadCount * c.headDimension, c.hiddenSize]
        case "self_attn.k_proj", "self_attn.v_proj": return [c.keyValueHeadCount * c.headDimension, c.hiddenSize]
        case "self_attn.o_proj": return [c.hiddenSize, c.attentionHeadCount * c.headDimension]
        case "mlp.down_proj": return [c.hiddenSize, c.intermediateSize]
        default: return [c.intermediateSize, c.hiddenSize]
        }
    }

    static var fixtureDirectory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("adapters")
    }

    /// The committed PEFT folder written by Graft (`peft/`).
    static var peftFixture: URL { fixtureDirectory.appendingPathComponent("peft") }

    /// What adapters.py recorded.
    struct Reference: Decodable {
        let promptIDs: [Int32]
        let greedyIDs: [Int32]
        let baseLogitsFile: String
        let peftLogitsFile: String
        let checks: [String: Double]

        enum CodingKeys: String, CodingKey {
            case promptIDs = "prompt_ids", greedyIDs = "greedy_ids", baseLogitsFile = "base_logits_file"
            case peftLogitsFile = "peft_logits_file", checks
        }
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixtureDirectory.appendingPathComponent("reference.json")))
    }

    static func floats(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: fixtureDirectory.appendingPathComponent(name))
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    /// Last-position logits of `model` (with adapters when given) for the reference prompt.
    static func lastLogits(_ model: LlamaModel, _ ids: [Int32], adapters: (ParameterTree, LoRAConfig)? = nil) throws -> [Float] {
        let cache = KVCache(layerCount: model.config.layerCount)
        if let (tree, lora) = adapters { return try model.step(ids, cache: cache, adapters: tree, lora: lora).toArray(as: Float.self) }
        return try model.step(ids, cache: cache).toArray(as: Float.self)
    }

    /// ‖a − b‖∞ / ‖b‖∞ over the whole vector.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float { LlamaTestSupport.relativeError(a, b) }

    /// Root-mean-square difference.
    static func rms(_ a: [Float], _ b: [Float]) -> Double {
        var s = 0.0
        for i in a.indices { let d = Double(a[i] - b[i]); s += d * d }
        return (s / Double(a.count)).squareRoot()
    }
}
