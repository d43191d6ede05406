import Foundation
import Graft
import GraftIO
import GraftNN

/// How `graft fuse` stores the fused weights.
public enum FusePrecision: Sendable, Equatable {
    /// Every matrix as float32 (`--dequantize`).
    case float32
    /// Each matrix keeps its base's storage: packed bases are re-quantized with the same bits and
    /// group size, dense ones stay float32 (the default).
    case keep
    /// Every matrix quantized to `bits` (4 or 8) in groups of `groupSize` (`--quantize`).
    case quantized(bits: Int, groupSize: Int)
}

/// One adapted projection after fusing: the base weight and `W + scale·B·A` (DoRA: each row
/// rescaled to its magnitude), both dense float32 `[rows, cols]` in the model's q/k row order.
public struct FusedProjection {
    /// The weight's key path (`model.layers.3.self_attn.q_proj.weight`).
    public let key: String
    /// The base weight, dequantized.
    public let base: [Float]
    /// The fused weight.
    public let fused: [Float]
    /// Output features.
    public let rows: Int
    /// Input features.
    public let cols: Int
    /// The base's packing, when it was quantized (bits, group size).
    public let basePacking: (bits: Int, groupSize: Int)?
}

extension LlamaModel {
    /// Fuses every adapted projection: `W' = W + scale·B·A` in float32 from the dequantized base
    /// (DoRA: `W'` rows scaled to `m / ‖W'_row‖`). `adapter` must be in this model's row order
    /// and fit it (see ``LoadedAdapter``).
    public func fusedProjections(_ adapter: LoRAAdapter) throws -> [FusedProjection] {
        try validate(adapter: adapter, source: "adapter")
        var modules: [(layer: Int, module: String)] = []
        for key in adapter.tensors.keys.sorted() {
            guard let p = LoRAAdapter.parseKey(key), p.leaf == "lora_a" else { continue }
            modules.append((p.layer, p.module))
        }
        modules.sort { $0.layer != $1.layer ? $0.layer < $1.layer : $0.module < $1.module }
        let scale = adapter.settings.scale
        return modules.map { layer, module in
            let stem = "model.layers.\(layer).\(module)."
            let projection = projection(layer: layer, module: module)!
            let base: Tensor
            var packing: (Int, Int)?
            switch projection.base {
            case .dense(let w): base = w.astype(.float32)
            case .quantized(let q): base = q.dequantized(); packing = (q.bits, q.groupSize)
            }
            let a = adapter.tensors[stem + "lora_a"]!, b = adapter.tensors[stem + "lora_b"]!
            var fused = base + Tensor.matmul(b.astype(.float32), a.astype(.float32)) * scale
            if let m = adapter.tensors[stem + "lora_magnitude"] {
                let norms = fused.square().sum(axis: -1, keepDims: true).sqrt()
                fused = fused * (m.astype(.float32).reshaped([m.size, 1]) / norms)
            }
            eval([base, fused])
            return FusedProjection(key: stem + "weight", base: base.toArray(as: Float.self), fused: fused.toArray(as: Float.self),
                                   rows: projection.outputCount, cols: projection.inputCount, basePacking: packing)
        }
    }

    /// This model with the adapters fused into its weights, for generation at the base model's
    /// speed. Fused weights are float32 (`precision` `.float32`) or re-quantized to MLX affine
    /// groups (`.keep`: like their base; `.quantized`: as given); other weights are unchanged.
    public func fused(with adapter: LoRAAdapter, precision: FusePrecision = .float32) throws -> LlamaModel {
        var tree = parameters
        for p in try fusedProjections(adapter) {
            let stem = String(p.key.dropLast(".weight".count))
            tree[stem + ".scales"] = nil
            tree[stem + ".biases"] = nil
            var packing: (bits: Int, groupSize: Int)?
            switch precision {
            case .float32: packing = nil
            case .keep: packing = p.basePacking
            case .quantized(let bits, let groupSize): packing = (bits, groupSize)
            }
            if let packing {
                let q = try AffineQuantizer.quantize(p.fused, rows: p.rows, cols: p.cols, bits: packing.bits,
                                                     groupSize: packing.groupSize).quantizedWeight()
                tree[stem + ".weight"] = q.packed
                tree[stem + ".scales"] = q.scales
                tree[stem + ".biases"] = q.biases
            } else {
                tree[stem + ".weight"] = Tensor(p.fused, shape: [p.rows, p.cols])
            }
        }
        return try withParameters(tree)
    }
}
