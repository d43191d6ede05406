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
        // The terms' values first (DoRA's temporaries stay out of the region), then the terms
        // themselves in one huge-page region, in the order a forward pass reads them: a decoding
        // step reads all of them every token.
        let order = LoRAAdapter.modules
        let terms = try packed.sorted { ($0.layer, order.firstIndex(of: $0.module)!) < ($1.layer, order.firstIndex(of: $1.module)!) }
            .map { layer, module in
                let projection = model.projection(layer: layer, module: module)!, stem = "model.layers.\(layer).\(module)."
                return (layer: layer, module: module, projection: projection, stem: stem,
                        values: try Self.lowRankValues(adapter, stem: stem, projection: projection))
            }
        try Allocator.withHugePageRegion(reserving: terms.reduce(8 << 20) { $0 + $1.values.byteCount }) {
            for t in terms {
                model.layers[t.layer].replace(t.module, with: t.projection.withLowRank(try t.values.term(stem: t.stem)))
            }
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

    /// The values of one adapted projection's frozen term: `A`, `B` in float32, the adapter's scale
    /// and, for DoRA, `m / ‖W + scale·B·A‖_row` with `W` dequantized (rows as ``fuse(base:a:b:magnitude:rows:cols:rank:scale:)``
    /// forms them, norms summed in float64).
    static func lowRankValues(_ adapter: LoRAAdapter, stem: String, projection: LinearWeights) throws -> LowRankValues {
        guard let a = adapter.tensors[stem + "lora_a"], let b = adapter.tensors[stem + "lora_b"] else {
            throw AdapterError(file: "adapter", problem: "\(stem)lora_a has no matching \(stem)lora_b")
        }
        let aValues = a.astype(.float32).toArray(as: Float.self), bValues = b.astype(.float32).toArray(as: Float.self)
        let (rows, cols, rank) = (projection.outputCount, projection.inputCount, a.shape[0])
        let scale = adapter.settings.scale
        var factor: [Float]?
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
            factor = factors
        }
        return LowRankValues(a: aValues, b: bValues, rank: rank, rows: rows, cols: cols, scale: scale, rowFactor: factor)
    }
}

/// The values of one projection's ``LowRankTerm``, computed before the term is built.
struct LowRankValues {
    let a, b: [Float]
    let rank, rows, cols: Int
    let scale: Double
    let rowFactor: [Float]?

    /// Bytes the term's tensors take (`A`, `B`, `B`'s panels, the factor), with alignment slack.
    var byteCount: Int { (a.count + 2 * (b.count + 8 * rank) + (rowFactor?.count ?? 0)) * 4 + 4 * 64 }

    /// The term (its tensors allocated now).
    func term(stem: String) throws -> LowRankTerm {
        do {
            return try LowRankTerm(a: Tensor(a, shape: [rank, cols]), b: Tensor(b, shape: [rows, rank]), scale: scale,
                                   rowFactor: rowFactor.map { Tensor($0, shape: [rows]) })
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
