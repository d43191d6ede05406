import Foundation
import Graft
import GraftIO
import GraftNN

extension LlamaModel {
    /// This model with `adapter` fused for generation, exactly, within a few percent of the base's speed:
    ///
    /// - a packed (quantized) projection keeps its packed weight and carries the adapter as a
    ///   frozen float32 ``LowRankTerm`` that the quantized matmul adds in the same parallel job
    ///   (`W·x + scale·B·(A·x)`; DoRA: times `m / ‖W + scale·B·A‖_row`, computed here once);
    ///   re-quantizing `W + scale·B·A` instead would round a trained adapter away;
    /// - a dense projection gets `W + scale·B·A` merged into its weight (exact, same cost).
    ///
    /// `adapter` must be in this model's q/k row order and fit it (see ``LoadedAdapter``). The
    /// low-rank terms live in the projections, not in ``parameters``: ``withParameters(_:)`` gives
    /// the base model back.
    /// - Throws: ``AdapterError`` for tensors that do not fit the model, or an `lora_a` without
    ///   its `lora_b`.
    public func fusedIntoKernels(_ adapter: LoRAAdapter) throws -> LlamaModel {
        try validate(adapter: adapter, source: "adapter")
        var dense: [String: Tensor] = [:]
        var packed: [(layer: Int, module: String)] = []
        for (key, tensor) in adapter.tensors {
            guard let p = LoRAAdapter.parseKey(key), let projection = projection(layer: p.layer, module: p.module) else { continue }
            if !projection.isQuantized {
                dense[key] = tensor
            } else if p.leaf == "lora_a" {
                packed.append((p.layer, p.module))
            }
        }
        var model = self
        if !dense.isEmpty {
            model = try fused(with: LoRAAdapter(tensors: dense, settings: adapter.settings, rowOrder: adapter.rowOrder),
                              precision: .float32)
        }
        for (layer, module) in packed {
            let projection = model.projection(layer: layer, module: module)!
            let term = try Self.lowRankTerm(adapter, stem: "model.layers.\(layer).\(module).", projection: projection)
            model.layers[layer].replace(module, with: projection.withLowRank(term))
        }
        return model
    }

    /// How many projections carry a fused low-rank term.
    public var lowRankProjectionCount: Int {
        layers.reduce(0) { count, layer in
            count + [layer.query, layer.key, layer.value, layer.output, layer.gate, layer.up, layer.down]
                .filter { $0.lowRank != nil }.count
        }
    }

    /// The frozen term of one adapted projection: `A`, `B` as float32 leaves, the adapter's scale
    /// and, for DoRA, `m / ‖W + scale·B·A‖_row` with `W` dequantized (rows as ``fuse(base:a:b:magnitude:rows:cols:rank:scale:)``
    /// forms them, norms summed in float64).
    static func lowRankTerm(_ adapter: LoRAAdapter, stem: String, projection: LinearWeights) throws -> LowRankTerm {
        guard let a = adapter.tensors[stem + "lora_a"], let b = adapter.tensors[stem + "lora_b"] else {
            throw AdapterError(file: "adapter", problem: "\(stem)lora_a has no matching \(stem)lora_b")
        }
        let aValues = a.astype(.float32).toArray(as: Float.self), bValues = b.astype(.float32).toArray(as: Float.self)
        let (rows, cols, rank) = (projection.outputCount, projection.inputCount, a.shape[0])
        let scale = adapter.settings.scale
        var factor: Tensor?
        if let magnitude = adapter.tensors[stem + "lora_magnitude"] {
            let m = magnitude.astype(.float32).toArray(as: Float.self)
            let base: Tensor
            switch projection.base {
            case .dense(let w): base = w.astype(.float32)
            case .quantized(let q): base = q.dequantized()
            }
            let merged = fuse(base: base.toArray(as: Float.self), a: aValues, b: bValues, magnitude: nil,
                              rows: rows, cols: cols, rank: rank, scale: Float(scale)).fused
            let factors = (0..<rows).map { n in
                var squares = 0.0
                for j in 0..<cols { let v = Double(merged[n * cols + j]); squares += v * v }
                return m[n] / Float(squares.squareRoot())
            }
            factor = Tensor(factors, shape: [rows])
        }
        do {
            return try LowRankTerm(a: Tensor(aValues, shape: [rank, cols]), b: Tensor(bValues, shape: [rows, rank]),
                                   scale: scale, rowFactor: factor)
        } catch {
            throw AdapterError(file: "adapter", problem: "\(stem): \(error)")
        }
    }
}

extension LlamaLayerWeights {
    /// Replaces the projection at `module` (`self_attn.q_proj`, `mlp.down_proj`, ...).
    mutating func replace(_ module: String, with projection: LinearWeights) {
        switch module {
        case "self_attn.q_proj": query = projection
        case "self_attn.k_proj": key = projection
        case "self_attn.v_proj": value = projection
        case "self_attn.o_proj": output = projection
        case "mlp.gate_proj": gate = projection
        case "mlp.up_proj": up = projection
        case "mlp.down_proj": down = projection
        default: preconditionFailure("LlamaLayerWeights: no projection '\(module)'")
        }
    }
}

extension LoRAAdapter {
    /// How many projections (block × module) the adapter adapts.
    public var projectionCount: Int { tensors.keys.filter { Self.parseKey($0)?.leaf == "lora_a" }.count }
}

extension LoadedModel {
    /// This model with `adapter` fused for generation (see ``LlamaModel/fusedIntoKernels(_:)``):
    /// packed projections add the adapter inside the quantized kernel, dense ones merge it.
    /// - Throws: the errors of ``LlamaModel/fusedIntoKernels(_:)``.
    public func fusingIntoKernels(_ adapter: LoadedAdapter) throws -> LoadedModel {
        do {
            return replacingModel(try model.fusedIntoKernels(adapter.adapter))
        } catch let error as AdapterError {
            throw AdapterError(file: adapter.file.path, problem: error.problem)
        }
    }
}
