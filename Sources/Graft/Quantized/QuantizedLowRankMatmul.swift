/// A low-rank term `scale·(x·Aᵀ)·Bᵀ` (a LoRA adapter) added to a quantized linear layer,
/// optionally followed by a per-output-row factor (DoRA's `magnitude / ‖W + scale·B·A‖_row`,
/// computed once by the caller). See ``Tensor/quantizedMatmul(_:_:lowRank:)``.
public struct LowRankTerm {
    /// `A`, float32 `[rank, cols]`.
    public let a: Tensor
    /// `B`, float32 `[rows, rank]`.
    public let b: Tensor
    /// The factor on the low-rank product (LoRA's `alpha / rank`).
    public let scale: Float
    /// A float32 `[rows]` factor on each output feature after the sum, or nil.
    public let rowFactor: Tensor?
    /// `B` for the decoding kernel, copied once into panels of eight outputs:
    /// `[⌈rows/8⌉, rank, 8]`, element `[p, k, l]` = `B[8p + l, k]` (zero past the last row). A
    /// chunk of outputs reads its panels as one stream and adds the term to eight outputs at a
    /// time with one load and store of them (a row of `B` per output cost a lane sum each; `Bᵀ`
    /// row by row, one stream per rank and a load and store of the outputs per rank).
    let bPanels: Tensor

    /// Computes the term's derived copies now rather than at its first use (call once when the
    /// term is built for many products, as at model load).
    public func prepare() { eval(bPanels) }

    /// Rank of the term.
    public var rank: Int { a.shape[0] }

    /// A term from its matrices.
    /// - Throws: ``GraftError`` when `a` is not float32 `[rank, cols]`, `b` not float32
    ///   `[rows, rank]` with the same rank ≥ 1, `rowFactor` not float32 `[rows]`, or `scale` not
    ///   finite.
    public init(a: Tensor, b: Tensor, scale: Double, rowFactor: Tensor? = nil) throws {
        guard a.dtype == .float32, b.dtype == .float32, a.ndim == 2, b.ndim == 2, a.shape[0] >= 1, b.shape[1] == a.shape[0] else {
            throw GraftError("LowRankTerm", "A \(a.dtype) \(a.shape) and B \(b.dtype) \(b.shape) need float32 [rank, cols] and [rows, rank] with the same rank ≥ 1")
        }
        if let f = rowFactor, f.dtype != .float32 || f.shape != [b.shape[0]] {
            throw GraftError("LowRankTerm", "row factor \(f.dtype) \(f.shape) needs float32 [\(b.shape[0])] (one per row of B \(b.shape))")
        }
        guard scale.isFinite else { throw GraftError("LowRankTerm", "scale \(scale) is not finite") }
        self.a = a
        self.b = b
        self.scale = Float(scale)
        self.rowFactor = rowFactor
        let (rows, rank) = (b.shape[0], b.shape[1]), padded = (rows + 7) / 8 * 8
        let whole = padded == rows ? b : Tensor.concatenate([b, Tensor.zeros([padded - rows, rank])], axis: 0)
        bPanels = whole.reshaped([padded / 8, 8, rank]).transposed([0, 2, 1])
    }
}

/// `y = (x·Wᵀ + scale·(x·Aᵀ)·Bᵀ) ⊙ f` with `W` affine-quantized, as one graph node: the adapted
/// projection of a LoRA/DoRA model at the packed base's speed. Inputs: `x [..., cols]`, packed
/// words, scales, biases, `A [rank, cols]`, `B [rows, rank]`, when `hasRowFactor` `f [rows]`,
/// and last `B` in panels of eight outputs (a copy for the decoding kernel; its gradient goes
/// to `B`).
///
/// A few rows (decoding): one parallel job in which each worker computes `t = scale·A·xᵢ` (rank
/// dot products), runs the base's fused dequantize-and-dot kernel on its block of rows and adds
/// `B[n, :]·tᵢ` to those outputs, eight at a time (one dispatch per call, like the base alone). Many rows:
/// the base's tiled GEMM path, then two GEMMs for the low-rank product.
struct QuantizedLowRankMatmul: Primitive {
    let bits: Int
    let groupSize: Int
    let scale: Float
    let hasRowFactor: Bool
    var name: String { "quantizedLowRankMatmul" }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let x = inputs[0], packed = inputs[1], lowA = inputs[4], lowB = inputs[5]
        let out = output.allocate()
        let rows = packed.shape[0], cols = packed.shape[1] * 32 / bits, rank = lowA.shape[0]
        let m = x.count / cols
        let xp = x.pointer(Float.self), o = out.pointer(Float.self)
        let w = packed.pointer(UInt32.self)
        func multiply<S: QuantizationScale>(_: S.Type) {
            let s = inputs[2].pointer(S.self), b = inputs[3].pointer(S.self)
            let factor = hasRowFactor ? inputs[6].pointer(Float.self) : nil
            if m <= QuantizedMatmul.fusedRowLimit {
                let term = QuantizedRowKernel.LowRankAddition(a: SendPtr(lowA.pointer(Float.self)),
                                                              bPanels: SendPtr(inputs[inputs.count - 1].pointer(Float.self)),
                                                              scale: scale,
                                                              rank: rank, cols: cols, factor: factor.map(SendPtr.init))
                QuantizedRowKernel.run(xp, m: m, w, s, b, rows: rows, cols: cols, bits: bits, groupSize: groupSize,
                                       lowRank: term, o)
            } else {
                let t = UnsafeMutablePointer<Float>.allocate(capacity: m * rank)
                defer { t.deallocate() }
                QuantizedMatmul(bits: bits, groupSize: groupSize, transposed: true)
                    .tiled(xp, m: m, w, s, b, rows: rows, cols: cols, o)
                // t = x·Aᵀ [m, rank], scaled; out += t·Bᵀ.
                Gemm.run(false, true, m: m, n: rank, k: cols, xp, lda: cols, lowA.pointer(Float.self), ldb: cols, t, ldc: rank)
                for j in 0..<(m * rank) { t[j] *= scale }
                Gemm.run(false, true, m: m, n: rows, k: rank, t, lda: rank, lowB.pointer(Float.self), ldb: rank, o, ldc: rows,
                         beta: 1)
                if let factor {
                    let os = SendPtr(o), fs = SendPtr(factor)
                    Parallel.forEach(m, costPerItem: rows) { range in
                        for i in range {
                            let row = os.p + i &* rows
                            for n in 0..<rows { row[n] *= fs.p[n] }
                        }
                    }
                }
            }
        }
        if inputs[2].dtype == .float16 { multiply(Float16.self) } else { multiply(Float.self) }
        return out
    }

    /// Differentiable in every float input: `x`, `A`, `B` and the row factor (the packed weight is
    /// frozen). With `g' = g ⊙ f`: `dx = g'·W + scale·(g'·B)·A`, `dA = scale·(g'·B)ᵀ·x`,
    /// `dB = scale·g'ᵀ·(x·Aᵀ)`, `df = Σ g ⊙ (x·Wᵀ + scale·(x·Aᵀ)·Bᵀ)` over the leading axes.
    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        let x = inputs[0], a = inputs[4], b = inputs[5]
        let rank = a.shape[0], cols = a.shape[1], rows = b.shape[0], count = x.size / cols
        let scaled = hasRowFactor ? g * inputs[6] : g
        let gB = Tensor.matmul(scaled, b)  // [..., rank]
        var grads = [Tensor?](repeating: nil, count: inputs.count)
        if needs[0] {
            let base = Tensor.make(QuantizedMatmul(bits: bits, groupSize: groupSize, transposed: false),
                                   [scaled, inputs[1], inputs[2], inputs[3]], shape: x.shape, dtype: .float32)
            grads[0] = base + Tensor.matmul(gB, a) * Double(scale)
        }
        let flatX = x.reshaped([count, cols])
        if needs[4] {
            grads[4] = Tensor.matmul(gB.reshaped([count, rank]), flatX, transposeA: true) * Double(scale)
        }
        if needs[5] {
            let xA = Tensor.matmul(flatX, a, transposeB: true)
            grads[5] = Tensor.matmul(scaled.reshaped([count, rows]), xA, transposeA: true) * Double(scale)
        }
        if hasRowFactor && needs[6] {
            let plain = QuantizedLowRankMatmul(bits: bits, groupSize: groupSize, scale: scale, hasRowFactor: false)
            let unscaled = Tensor.make(plain, Array(inputs.prefix(6)) + [inputs[inputs.count - 1]], shape: output.shape, dtype: .float32)
            grads[6] = (g * unscaled).reshaped([count, rows]).sum(axis: 0)
        }
        return grads
    }
}

extension Tensor {
    /// `x·Wᵀ + scale·(x·Aᵀ)·Bᵀ` for `x [..., cols]` and a quantized `W [rows, cols]`, each output
    /// feature then multiplied by `lowRank.rowFactor` when it has one: a LoRA (or DoRA) adapted
    /// linear layer in one node, decoding at about the packed base's speed with the adapter
    /// exact in float32. Differentiable in `x`, `A`, `B` and the row factor; the packed weight
    /// gets no gradient.
    public static func quantizedMatmul(_ x: Tensor, _ w: QuantizedWeight, lowRank: LowRankTerm) -> Tensor {
        guard x.dtype == .float32, x.ndim >= 1, x.shape.last == w.cols else {
            return failed(GraftError("quantizedMatmul", "x \(x.shape) \(x.dtype) does not fit a \(w.rows)×\(w.cols) weightᵀ (needs float32 [..., \(w.cols)])"))
        }
        guard lowRank.a.shape[1] == w.cols, lowRank.b.shape[0] == w.rows else {
            return failed(GraftError("quantizedMatmul", "low-rank A \(lowRank.a.shape) and B \(lowRank.b.shape) do not fit a \(w.rows)×\(w.cols) weight (need [rank, \(w.cols)] and [\(w.rows), rank])"))
        }
        let p = QuantizedLowRankMatmul(bits: w.bits, groupSize: w.groupSize, scale: lowRank.scale,
                                       hasRowFactor: lowRank.rowFactor != nil)
        var inputs = [x, w.packed, w.scales, w.biases, lowRank.a, lowRank.b]
        inputs.reserveCapacity(8)
        if let f = lowRank.rowFactor { inputs.append(f) }
        inputs.append(lowRank.bPanels)
        return make(p, inputs, shape: Array(x.shape.dropLast()) + [w.rows], dtype: .float32)
    }
}
