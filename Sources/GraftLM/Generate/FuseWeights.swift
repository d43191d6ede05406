import Foundation
import Graft
import GraftIO
import GraftNN

/// How `graft fuse` stores the fused weights.
public enum FusePrecision: Sendable, Equatable {
    /// Every weight as a float of the given type (`--dtype`; `--dequantize` is float32).
    case float(FuseFloatType)
    /// Each matrix keeps its base's storage: packed bases are re-quantized with the same bits and
    /// group size, dense ones stay float32 (the default).
    case keep
    /// Every matrix quantized to `bits` (4 or 8) in groups of `groupSize` (`--quantize`).
    case quantized(bits: Int, groupSize: Int)

    /// Every weight as float32.
    public static let float32 = FusePrecision.float(.f32)

    /// The float type of `.float(type)`; f32 for `.keep` and `.quantized`.
    public var floatType: FuseFloatType {
        if case .float(let type) = self { return type }
        return .f32
    }

    /// The float type weights written as floats get: `requested` (`graft convert --dtype`, which
    /// also applies beside `.keep` and `.quantized` matrices) or else ``floatType``.
    /// - Throws: ``FuseError/unsupported(_:)`` when `requested` contradicts `.float(type)`.
    func floatStorage(_ requested: FuseFloatType?) throws -> FuseFloatType {
        guard let requested else { return floatType }
        if case .float(let type) = self, type != requested {
            throw FuseError.unsupported("float weights cannot be stored as both \(type.rawValue) and \(requested.rawValue)")
        }
        return requested
    }
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
            let fused = Self.fuse(base: base.toArray(as: Float.self), a: a.astype(.float32).toArray(as: Float.self),
                                  b: b.astype(.float32).toArray(as: Float.self), magnitude: adapter.tensors[stem + "lora_magnitude"]?
                                    .astype(.float32).toArray(as: Float.self),
                                  rows: projection.outputCount, cols: projection.inputCount, rank: a.shape[0], scale: Float(scale))
            return FusedProjection(key: stem + "weight", base: fused.base, fused: fused.fused,
                                   rows: projection.outputCount, cols: projection.inputCount, basePacking: packing)
        }
    }

    /// `W + scale·B·A` row by row with a fixed summation order (k = 0, 1, …, r−1 for every
    /// element), so a fuse gives the same bits on every machine and thread count; DoRA rows are
    /// then scaled to `m / ‖row‖` (norm summed in float64).
    static func fuse(base: [Float], a: [Float], b: [Float], magnitude: [Float]?, rows: Int, cols: Int, rank: Int,
                     scale: Float) -> (base: [Float], fused: [Float]) {
        var fused = base
        var delta = [Float](repeating: 0, count: cols)
        fused.withUnsafeMutableBufferPointer { f in
            a.withUnsafeBufferPointer { av in
                b.withUnsafeBufferPointer { bv in
                    delta.withUnsafeMutableBufferPointer { d in
                        for i in 0..<rows {
                            for j in 0..<cols { d[j] = 0 }
                            for k in 0..<rank {
                                let coefficient = bv[i * rank + k], row = av.baseAddress! + k * cols
                                for j in 0..<cols { d[j] += coefficient * row[j] }
                            }
                            let out = f.baseAddress! + i * cols
                            for j in 0..<cols { out[j] += scale * d[j] }
                            if let magnitude {
                                var squares = 0.0
                                for j in 0..<cols { squares += Double(out[j]) * Double(out[j]) }
                                let factor = magnitude[i] / Float(squares.squareRoot())
                                for j in 0..<cols { out[j] *= factor }
                            }
                        }
                    }
                }
            }
        }
        return (base, fused)
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
            case .float: packing = nil
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

    /// This model with the weights `stored` (key path → dense float32 values in this model's row
    /// order, e.g. fused weights as a file stores them) replacing those projections.
    public func replacingWeights(_ stored: [String: [Float]]) throws -> LlamaModel {
        var tree = parameters
        for (key, values) in stored {
            let stem = String(key.dropLast(".weight".count))
            guard let projection = linearWeights(stem: stem) else {
                throw ModelError.invalidInput("\(key) is not a projection of this model")
            }
            tree[stem + ".scales"] = nil
            tree[stem + ".biases"] = nil
            tree[stem + ".weight"] = Tensor(values, shape: [projection.outputCount, projection.inputCount])
        }
        return try withParameters(tree)
    }
}
