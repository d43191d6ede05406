/// A frozen low-rank term `scale·(x·Aᵀ)·Bᵀ` (a trained LoRA adapter) added to a quantized
/// linear layer, optionally followed by a per-output-row factor (DoRA's
/// `magnitude / ‖W + scale·B·A‖_row`, computed once by the caller). See
/// ``Tensor/quantizedMatmul(_:_:lowRank:)``.
///
/// A reference type, evaluated when built: the graph node of each product that uses it holds
/// the term rather than its four or five tensors as leaf inputs. A decoding step builds and
/// tears down one node per adapted projection, and every leaf input is retained, visited by
/// the scheduler and released each step, after the step's stream through the weights has
/// pushed it out of cache (`GraftBench decode-step --rows 1 --rank 8`, one thread: 7.08–7.16 →
/// 7.00 ms; the base 6.51).
public final class LowRankTerm: @unchecked Sendable {
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
    /// The evaluated values of `A`, `B`, the panels and the factor, which the kernels read.
    let aValues, bValues, bPanelValues: UnsafeMutablePointer<Float>
    let rowFactorValues: UnsafeMutablePointer<Float>?

    /// Rank of the term, and the rows (output features) and columns (input features) of the
    /// weight it fits: stored, so that building a step's node reads only the term.
    public let rank, rows, cols: Int

    /// A term from its matrices, evaluated now (with its copy of `B` in panels).
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
        let (rows, rank) = (b.shape[0], b.shape[1]), padded = (rows + 7) / 8 * 8
        let whole = padded == rows ? b : Tensor.concatenate([b, Tensor.zeros([padded - rows, rank])], axis: 0)
        self.a = a
        self.b = b
        self.rowFactor = rowFactor
        (self.rank, self.rows, self.cols) = (rank, rows, a.shape[1])
        self.scale = Float(scale)
        bPanels = whole.reshaped([padded / 8, 8, rank]).transposed([0, 2, 1])
        // Evaluated tensors hold contiguous row-major buffers (views are copied out).
        eval([a, b, bPanels] + (rowFactor.map { [$0] } ?? []))
        aValues = a.node.pointer(Float.self)
        bValues = b.node.pointer(Float.self)
        bPanelValues = bPanels.node.pointer(Float.self)
        rowFactorValues = rowFactor?.node.pointer(Float.self)
    }
}

/// `y = (x·Wᵀ + scale·(x·Aᵀ)·Bᵀ) ⊙ f` with `W` affine-quantized, as one graph node: the adapted
/// projection of a LoRA/DoRA model at nearly the packed base's speed. Inputs: `x [..., cols]`, packed
/// words, scales, biases; the frozen term (`A`, `B`, `f`) is held by the primitive.
///
/// A few rows (decoding): one parallel job in which each worker computes `t = scale·A·xᵢ` (rank
/// dot products), runs the base's fused dequantize-and-dot kernel on its block of rows and adds
/// `B[n, :]·tᵢ` to those outputs, eight at a time (one dispatch per call, like the base alone). Many rows:
/// the base's tiled GEMM path, then two GEMMs for the low-rank product.
struct QuantizedLowRankMatmul: Primitive {
    let bits: Int
    let groupSize: Int
    let term: LowRankTerm
    /// How the fused kernel reads `x` (see ``ActivationPrecision``).
    var activations: ActivationPrecision = .float32
    var name: String { "quantizedLowRankMatmul" }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let x = inputs[0], packed = inputs[1]
        let out = output.allocate()
        let rows = packed.shape[0], cols = packed.shape[1] * 32 / bits, rank = term.rank, scale = term.scale
        let m = x.count / cols
        let xp = x.pointer(Float.self), o = out.pointer(Float.self)
        let w = packed.pointer(UInt32.self)
        func multiply<S: QuantizationScale>(_: S.Type) {
            let s = inputs[2].pointer(S.self), b = inputs[3].pointer(S.self)
            if m <= QuantizedMatmul.fusedRowLimit {
                let addition = QuantizedRowKernel.LowRankAddition(a: SendPtr(term.aValues), bPanels: SendPtr(term.bPanelValues),
                                                                  scale: scale, rank: rank, cols: cols,
                                                                  factor: term.rowFactorValues.map(SendPtr.init))
                if let layout = QuantizedMatmul.interleaved(inputs, S.self, bits: bits, groupSize: groupSize,
                                                            activations: activations) {
                    QuantizedRowKernel.runInterleaved(xp, m: m, layout, groupSize: groupSize, activations: activations,
                                                      lowRank: addition, o)
                } else {
                    QuantizedRowKernel.run(xp, m: m, w, s, b, rows: rows, cols: cols, bits: bits, groupSize: groupSize,
                                           lowRank: addition, o)
                }
            } else {
                let t = UnsafeMutablePointer<Float>.allocate(capacity: m * rank)
                defer { t.deallocate() }
                QuantizedMatmul(bits: bits, groupSize: groupSize, transposed: true)
                    .tiled(xp, m: m, w, s, b, rows: rows, cols: cols, o)
                // t = x·Aᵀ [m, rank], scaled; out += t·Bᵀ.
                Gemm.run(false, true, m: m, n: rank, k: cols, xp, lda: cols, term.aValues, ldb: cols, t, ldc: rank)
                for j in 0..<(m * rank) { t[j] *= scale }
                Gemm.run(false, true, m: m, n: rows, k: rank, t, lda: rank, term.bValues, ldb: rank, o, ldc: rows, beta: 1)
                if let factor = term.rowFactorValues {
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

    /// Differentiable in `x` (the packed weight and the term are frozen). With `g' = g ⊙ f`:
    /// `dx = g'·W + scale·(g'·B)·A`.
    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        var grads = [Tensor?](repeating: nil, count: inputs.count)
        guard needs[0] else { return grads }
        let scaled = term.rowFactor.map { g * $0 } ?? g
        let base = Tensor.make(QuantizedMatmul(bits: bits, groupSize: groupSize, transposed: false),
                               [scaled, inputs[1], inputs[2], inputs[3]], shape: inputs[0].shape, dtype: .float32)
        grads[0] = base + Tensor.matmul(Tensor.matmul(scaled, term.b), term.a) * Double(term.scale)
        return grads
    }
}

extension Tensor {
    /// `x·Wᵀ + scale·(x·Aᵀ)·Bᵀ` for `x [..., cols]` and a quantized `W [rows, cols]`, each output
    /// feature then multiplied by `lowRank.rowFactor` when it has one: a LoRA (or DoRA) adapted
    /// linear layer in one node, decoding at about the packed base's speed with the adapter
    /// exact in float32. Differentiable in `x`; the packed weight and the term are frozen
    /// (training goes through `LoRA.apply`, whose adapter is a parameter tree).
    /// `activations` as in ``quantizedMatmul(_:_:transposed:activations:)`` (the term stays float32).
    public static func quantizedMatmul(_ x: Tensor, _ w: QuantizedWeight, lowRank: LowRankTerm,
                                       activations: ActivationPrecision = .float32) -> Tensor {
        guard x.dtype == .float32, x.ndim >= 1, x.shape.last == w.cols else {
            return failed(GraftError("quantizedMatmul", "x \(x.shape) \(x.dtype) does not fit a \(w.rows)×\(w.cols) weightᵀ (needs float32 [..., \(w.cols)])"))
        }
        guard lowRank.cols == w.cols, lowRank.rows == w.rows else {
            return failed(GraftError("quantizedMatmul", "low-rank A \(lowRank.a.shape) and B \(lowRank.b.shape) do not fit a \(w.rows)×\(w.cols) weight (need [rank, \(w.cols)] and [\(w.rows), rank])"))
        }
        return make(QuantizedLowRankMatmul(bits: w.bits, groupSize: w.groupSize, term: lowRank, activations: activations),
                    [x, w.packed, w.scales, w.biases], shape: Array(x.shape.dropLast()) + [w.rows], dtype: .float32)
    }
}
