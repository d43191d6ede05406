import Graft
import GraftNN

/// The weights of one linear projection `y = x·Wᵀ + b` of a model, and the only place where the
/// model code multiplies by a weight matrix.
///
/// The weight is frozen: dense float32 `[out, in]`, or packed affine 4/8-bit groups stored as
/// MLX names them (`weight` uint32 packed, `scales`, `biases`). A LoRA adapter, when given,
/// is applied on top (`LoRA.apply`). A frozen adapter fused for generation rides along as a
/// ``lowRank`` term: inside the quantized kernel for a packed weight (`Tensor.quantizedMatmul(_:_:lowRank:)`).
public struct LinearWeights {
    /// The frozen `[out, in]` weight.
    public let base: FrozenWeight
    /// The `[out]` bias, if the projection has one.
    public let bias: Tensor?
    /// A frozen low-rank term (a fused adapter) added to `x·Wᵀ` before the bias, or nil.
    public let lowRank: LowRankTerm?

    /// A projection from its frozen weight, optional bias and optional frozen low-rank term.
    public init(base: FrozenWeight, bias: Tensor? = nil, lowRank: LowRankTerm? = nil) {
        precondition(bias.map { $0.shape == [base.shape[0]] } ?? true,
                     "LinearWeights: bias \(bias?.shape ?? []) does not match weight \(base.shape)")
        precondition(lowRank.map { $0.a.shape[1] == base.shape[1] && $0.b.shape[0] == base.shape[0] } ?? true,
                     "LinearWeights: low-rank A \(lowRank?.a.shape ?? []) / B \(lowRank?.b.shape ?? []) do not fit weight \(base.shape)")
        self.base = base
        self.bias = bias
        self.lowRank = lowRank
    }

    /// The same projection with `term` as its frozen low-rank term (replacing any other).
    public func withLowRank(_ term: LowRankTerm?) -> LinearWeights {
        LinearWeights(base: base, bias: bias, lowRank: term)
    }

    /// A dense projection.
    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.ndim == 2, "LinearWeights: weight must be [out, in], got \(weight.shape)")
        self.init(base: .dense(weight), bias: bias)
    }

    /// The projection stored under `path` of a parameter tree: `path.weight` (dense), or
    /// `path.weight` + `path.scales` + `path.biases` (quantized; bits and group size follow from
    /// `inputCount`), and an optional `path.bias`; `source` names the tree's origin in errors.
    /// - Throws: ``ModelError/missingTensor(file:name:)`` when there is no weight (or no bias
    ///   although `requireBias`), ``ModelError/shapeMismatch(file:name:expected:found:)`` for
    ///   tensors that do not fit.
    public init(_ parameters: ParameterTree, path: String, inputCount: Int? = nil, requireBias: Bool = false,
                source: String) throws {
        let weightPath = path + ".weight", biasPath = path + ".bias"
        guard let w = parameters[weightPath] else { throw ModelError.missingTensor(file: source, name: weightPath) }
        guard w.ndim == 2 else {
            throw ModelError.shapeMismatch(file: source, name: weightPath, expected: [-1, -1], found: w.shape)
        }
        var base = FrozenWeight.dense(w)
        if let scales = parameters[path + ".scales"] {
            guard let offsets = parameters[path + ".biases"] else { throw ModelError.missingTensor(file: source, name: path + ".biases") }
            let inputs = inputCount ?? 0
            guard inputs > 0, scales.ndim == 2, scales.shape[1] > 0, inputs % scales.shape[1] == 0,
                  (w.shape[1] * 32) % inputs == 0 else {
                throw ModelError.shapeMismatch(file: source, name: path + ".scales", expected: [w.shape[0], -1], found: scales.shape)
            }
            do {
                base = .quantized(try QuantizedWeight(packed: w, scales: scales, biases: offsets, bits: w.shape[1] * 32 / inputs,
                                                      groupSize: inputs / scales.shape[1]))
            } catch {
                throw ModelError.invalidInput("\(source): \(path): \(error)")
            }
        }
        let b = parameters[biasPath]
        if requireBias && b == nil { throw ModelError.missingTensor(file: source, name: biasPath) }
        if let b, b.shape != [base.shape[0]] {
            throw ModelError.shapeMismatch(file: source, name: biasPath, expected: [base.shape[0]], found: b.shape)
        }
        self.init(base: base, bias: b)
    }

    /// The shape of the projection as `[out, in]`, for checks against a configuration.
    public var shape: [Int] { base.shape }
    /// Input features.
    public var inputCount: Int { base.shape[1] }
    /// Output features.
    public var outputCount: Int { base.shape[0] }
    /// Whether the weight is packed.
    public var isQuantized: Bool { if case .quantized = base { return true } else { return false } }

    /// The projection as a parameter subtree.
    public var parameters: ParameterTree {
        var d: [String: ParameterTree]
        switch base {
        case .dense(let w): d = ["weight": .tensor(w)]
        case .quantized(let q): d = ["weight": .tensor(q.packed), "scales": .tensor(q.scales), "biases": .tensor(q.biases)]
        }
        if let bias { d["bias"] = .tensor(bias) }
        return .dict(d)
    }

    /// Rows of the weight (an embedding lookup): `indices.shape + [in]`.
    public func rows(_ indices: Tensor) -> Tensor {
        switch base {
        case .dense(let w): return w.take(indices)
        case .quantized(let q): return q.take(indices)
        }
    }

    /// `x [..., in] → [..., out]`, with `adapter` (LoRA parameters) applied when given, else the
    /// frozen ``lowRank`` term when there is one. A projection carries one or the other.
    /// `activations` is how a packed weight's decoding kernel reads `x` (inference only).
    public func apply(_ x: Tensor, adapter: ParameterTree? = nil, lora: LoRAConfig? = nil, dropoutKey: RandomKey? = nil,
                      activations: ActivationPrecision = .float32) -> Tensor {
        var y: Tensor
        if let adapter, let lora {
            precondition(lowRank == nil, "LinearWeights: adapters on the side of a projection that already has one fused")
            y = LoRA.apply(x, base: base, adapter: adapter, config: lora, dropoutKey: dropoutKey, activations: activations)
        } else if let lowRank {
            y = Self.apply(x, base: base, lowRank: lowRank, activations: activations)
        } else {
            y = base.apply(x, activations: activations)
        }
        if let bias { y = y + bias }
        return y
    }

    /// `(x·Wᵀ + scale·(x·Aᵀ)·Bᵀ) ⊙ rowFactor`: one node on a packed weight, plain ops on a dense one.
    static func apply(_ x: Tensor, base: FrozenWeight, lowRank t: LowRankTerm,
                      activations: ActivationPrecision = .float32) -> Tensor {
        switch base {
        case .quantized(let q):
            return Tensor.quantizedMatmul(x, q, lowRank: t, activations: activations)
        case .dense:
            let y = base.apply(x) + Tensor.matmul(Tensor.matmul(x, t.a, transposeB: true), t.b, transposeB: true) * Double(t.scale)
            return t.rowFactor.map { y * $0 } ?? y
        }
    }
}
