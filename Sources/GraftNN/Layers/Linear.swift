import Graft

/// A dense layer `y = x·Wᵀ + b` over parameters `{"weight": [out, in], "bias": [out]}`.
public enum Linear {
    /// PyTorch's default initialisation: weight and bias uniform in ±1/√in.
    public static func parameters(inputs: Int, outputs: Int, bias: Bool = true, key: RandomKey,
                                  dtype: DType = .float32) -> ParameterTree {
        let bound = 1 / Double(inputs).squareRoot()
        let (kw, kb) = key.split()
        var p: [String: ParameterTree] = [
            "weight": .tensor(Tensor.uniform([outputs, inputs], low: -bound, high: bound, key: kw, dtype: dtype)),
        ]
        if bias { p["bias"] = .tensor(Tensor.uniform([outputs], low: -bound, high: bound, key: kb, dtype: dtype)) }
        return .dict(p)
    }

    /// Applies the layer to `x [..., in]`.
    public static func apply(_ p: ParameterTree, _ x: Tensor) -> Tensor {
        guard let w = p["weight"] else { preconditionFailure("Linear.apply: parameters have no 'weight'") }
        let y = Tensor.matmul(x, w, transposeB: true)
        if let b = p["bias"] { return y + b }
        return y
    }
}
