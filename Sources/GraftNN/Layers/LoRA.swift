import Graft

/// Low-rank adapters on a frozen linear layer:
/// `y = base(x) + scale · (dropout(x) · Aᵀ) · Bᵀ` with `A [rank, in]` random, `B [out, rank]`
/// zero (so training starts from the base model) and `scale = alpha / rank`. With DoRA, the
/// output is rescaled per feature by a learned magnitude `m` over the (gradient-detached)
/// row norms of `W + scale·B·A`, as PEFT does.
///
/// Parameter names follow PEFT's orientation: `lora_a [rank, in]`, `lora_b [out, rank]`,
/// `lora_magnitude [out]` (DoRA).
public struct LoRAConfig: Sendable, Equatable {
    public var rank: Int
    public var alpha: Double
    public var dropout: Double
    public var dora: Bool

    public init(rank: Int = 8, alpha: Double = 16, dropout: Double = 0, dora: Bool = false) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.dora = dora
    }

    /// The factor applied to the low-rank update.
    public var scale: Double { alpha / Double(rank) }
}

/// The frozen weight of the layer an adapter wraps: dense or quantized. Never gets a gradient.
public enum FrozenWeight {
    case dense(Tensor)
    case quantized(QuantizedWeight)

    /// `x · Wᵀ`; `activations` as in `Tensor.quantizedMatmul` for a quantized weight (a dense one
    /// always reads float32).
    public func apply(_ x: Tensor, activations: ActivationPrecision = .float32) -> Tensor {
        switch self {
        case .dense(let w): return Tensor.matmul(x, w.stopGradient(), transposeB: true)
        case .quantized(let q): return Tensor.quantizedMatmul(x, q, activations: activations)
        }
    }

    /// `[out, in]`.
    public var shape: [Int] {
        switch self {
        case .dense(let w): return w.shape
        case .quantized(let q): return [q.rows, q.cols]
        }
    }

    /// Squared L2 norm of each row `[out]` (dequantizing a tile at a time when quantized).
    public func rowNormsSquared() -> Tensor {
        switch self {
        case .dense(let w): return w.stopGradient().square().sum(axis: -1)
        case .quantized(let q): return q.dequantized().square().sum(axis: -1)
        }
    }
}

public enum LoRA {
    /// Fresh adapter parameters for a `[out, in]` layer: A uniform in ±1/√in (mlx-lm's
    /// initialisation), B zeros; DoRA's magnitude starts at the base rows' norms.
    public static func parameters(for base: FrozenWeight, config: LoRAConfig, key: RandomKey) -> ParameterTree {
        let (out, inputs) = (base.shape[0], base.shape[1])
        let bound = 1 / Double(inputs).squareRoot()
        var p: [String: ParameterTree] = [
            "lora_a": .tensor(Tensor.uniform([config.rank, inputs], low: -bound, high: bound, key: key)),
            "lora_b": .tensor(Tensor.zeros([out, config.rank])),
        ]
        if config.dora { p["lora_magnitude"] = .tensor(base.rowNormsSquared().sqrt()) }
        return .dict(p)
    }

    /// The adapted layer's output for `x [..., in]`. `dropoutKey` enables dropout (training);
    /// `activations` is how the frozen base reads `x` (``FrozenWeight/apply(_:activations:)``).
    public static func apply(_ x: Tensor, base: FrozenWeight, adapter p: ParameterTree, config: LoRAConfig,
                             dropoutKey: RandomKey? = nil, activations: ActivationPrecision = .float32) -> Tensor {
        guard let a = p["lora_a"], let b = p["lora_b"] else {
            preconditionFailure("LoRA.apply: adapter needs 'lora_a' and 'lora_b', has \(p.flattened().map(\.path))")
        }
        var dropped = x
        if let key = dropoutKey, config.dropout > 0 {
            let keep = Tensor.bernoulli(x.shape, p: 1 - config.dropout, key: key).astype(x.dtype)
            dropped = x * keep / (1 - config.dropout)
        }
        let update = Tensor.matmul(Tensor.matmul(dropped, a, transposeB: true), b, transposeB: true) * config.scale
        let y = base.apply(x, activations: activations)
        guard config.dora, let m = p["lora_magnitude"] else { return y + update }
        let magnitude = m / adaptedRowNorms(base: base, a: a, b: b, scale: config.scale).stopGradient()
        return magnitude * (y + update)
    }

    /// Row norms of `W + s·B·A` without forming it: `‖W‖² + 2s·rowsum(B ⊙ (W·Aᵀ)) + s²·rowsum((B·A)²)`.
    static func adaptedRowNorms(base: FrozenWeight, a: Tensor, b: Tensor, scale: Double) -> Tensor {
        let wa = base.apply(a).T  // (A · Wᵀ)ᵀ = W · Aᵀ  [out, rank]
        let ba = Tensor.matmul(b, a)  // [out, in]
        let squared = base.rowNormsSquared() + (b * wa).sum(axis: -1) * (2 * scale) + ba.square().sum(axis: -1) * (scale * scale)
        return Tensor.maximum(squared, squared.zerosLike()).sqrt()
    }
}
