import Graft

/// The weights of one linear projection `y = x·Wᵀ + b` of a model, and the only place where the
/// model code multiplies by a weight matrix.
///
/// For now the weight is a dense float32 `[out, in]` tensor (dequantized from the file) with an
/// optional `[out]` bias. Other weight forms (packed 4/8-bit groups) plug in here without
/// changes to the model code, which only calls ``apply(_:)``.
public struct LinearWeights {
    /// The `[out, in]` weight.
    public let weight: Tensor
    /// The `[out]` bias, if the projection has one.
    public let bias: Tensor?

    /// A projection from its tensors. `weight` must be 2-D, `bias` (if any) match its rows.
    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.ndim == 2, "LinearWeights: weight must be [out, in], got \(weight.shape)")
        precondition(bias.map { $0.shape == [weight.shape[0]] } ?? true,
                     "LinearWeights: bias \(bias?.shape ?? []) does not match weight \(weight.shape)")
        self.weight = weight
        self.bias = bias
        rowBlocks = LinearWeights.rowBlocks(of: weight)
    }

    /// Views of the weight's rows in blocks of at most `maxBlockRows` (sharing its memory), for
    /// single-row products; empty when the weight is small or not materialised.
    private let rowBlocks: [Tensor]

    /// The largest block OpenBLAS 0.3.21 multiplies by one row without repacking the whole
    /// weight on Cooperlake/SkylakeX (its direct "small" kernel accepts at most 1200 outputs
    /// there); larger weights are cut into blocks of this many rows or fewer.
    static let maxBlockRows = 1024

    private static func rowBlocks(of weight: Tensor) -> [Tensor] {
        let (rows, columns) = (weight.shape[0], weight.shape[1])
        guard rows > maxBlockRows, weight.dtype == .float32, let buffer = weight.node.buffer else { return [] }
        let count = (rows + maxBlockRows - 1) / maxBlockRows
        let step = (rows + count - 1) / count
        return stride(from: 0, to: rows, by: step).map { start in
            let n = min(step, rows - start)
            let bytes = n * columns * 4
            return Tensor(buffer: Buffer(borrowing: buffer.data + start * columns * 4, byteCount: bytes, owner: buffer),
                          shape: [n, columns], dtype: .float32)
        }
    }

    /// The projection stored under `path` of a parameter tree (`path.weight`, optional
    /// `path.bias`); `source` names the tree's origin in errors.
    /// - Throws: ``ModelError/missingTensor(file:name:)`` when there is no weight (or no bias
    ///   although `requireBias`), ``ModelError/shapeMismatch(file:name:expected:found:)`` for a
    ///   weight that is not 2-D or a bias that does not match it.
    public init(_ parameters: ParameterTree, path: String, requireBias: Bool = false, source: String) throws {
        let weightPath = path + ".weight", biasPath = path + ".bias"
        guard let w = parameters[weightPath] else { throw ModelError.missingTensor(file: source, name: weightPath) }
        guard w.ndim == 2 else {
            throw ModelError.shapeMismatch(file: source, name: weightPath, expected: [-1, -1], found: w.shape)
        }
        let b = parameters[biasPath]
        if requireBias && b == nil { throw ModelError.missingTensor(file: source, name: biasPath) }
        if let b, b.shape != [w.shape[0]] {
            throw ModelError.shapeMismatch(file: source, name: biasPath, expected: [w.shape[0]], found: b.shape)
        }
        self.init(weight: w, bias: b)
    }

    /// The shape of the projection as `[out, in]`, for checks against a configuration.
    public var shape: [Int] { [outputCount, inputCount] }

    /// Input features.
    public var inputCount: Int { weight.shape[1] }
    /// Output features.
    public var outputCount: Int { weight.shape[0] }

    /// The projection as a parameter subtree `{"weight", "bias"?}`.
    public var parameters: ParameterTree {
        var d: [String: ParameterTree] = ["weight": .tensor(weight)]
        if let bias { d["bias"] = .tensor(bias) }
        return .dict(d)
    }

    /// `x [..., in] → [..., out]`.
    ///
    /// `forInference` promises that no gradient with respect to the weight is wanted; a single
    /// row (decoding) is then multiplied block by block (see `maxBlockRows`), which avoids
    /// OpenBLAS copying the whole weight on every call and is about twice as fast.
    public func apply(_ x: Tensor, forInference: Bool = false) -> Tensor {
        var y: Tensor
        if forInference && !rowBlocks.isEmpty && x.size == inputCount {
            y = Tensor.concatenate(rowBlocks.map { Tensor.matmul(x, $0, transposeB: true) }, axis: -1)
        } else {
            y = Tensor.matmul(x, weight, transposeB: true)
        }
        if let bias { y = y + bias }
        return y
    }
}
