/// `x · Wᵀ` (or `x · W`) with `W` an affine-quantized matrix, never materialised in full:
/// a few rows (decoding) use a fused dequantize-and-dot kernel per output; many rows
/// dequantize `W` a tile of rows at a time into scratch and call sgemm on it.
struct QuantizedMatmul: Primitive {
    let bits: Int
    let groupSize: Int
    /// true: `x [M, cols] · Wᵀ → [M, rows]`; false: `x [M, rows] · W → [M, cols]`.
    let transposed: Bool
    /// How the fused kernel reads `x` (the GEMM path always reads float32).
    var activations: ActivationPrecision = .float32
    var name: String { "quantizedMatmul" }

    /// Rows at or below this use the fused kernel.
    static let fusedRowLimit = 8
    /// Weight rows dequantized per tile on the GEMM path.
    static let tileRows = 512

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let x = inputs[0], packed = inputs[1]
        let out = output.allocate()
        let rows = packed.shape[0], wordsPerRow = packed.shape[1], cols = wordsPerRow * 32 / bits
        let m = x.count / x.shape.last!
        let w = packed.pointer(UInt32.self)
        func multiply<S: QuantizationScale>(_: S.Type) {
            let s = inputs[2].pointer(S.self), b = inputs[3].pointer(S.self)
            if transposed && m <= Self.fusedRowLimit {
                if let layout = Self.interleaved(inputs, S.self, bits: bits, groupSize: groupSize, activations: activations) {
                    QuantizedRowKernel.runInterleaved(x.pointer(Float.self), m: m, layout, groupSize: groupSize,
                                                      activations: activations, out.pointer(Float.self))
                } else {
                    QuantizedRowKernel.run(x.pointer(Float.self), m: m, w, s, b, rows: rows, cols: cols,
                                           bits: bits, groupSize: groupSize, out.pointer(Float.self))
                }
            } else {
                tiled(x.pointer(Float.self), m: m, w, s, b, rows: rows, cols: cols, out.pointer(Float.self))
            }
        }
        if inputs[2].dtype == .float16 { multiply(Float16.self) } else { multiply(Float.self) }
        return out
    }

    /// The interleaved copy of the weight (`inputs[1...3]`) when the few-row kernel runs on it
    /// for rows read as `activations` (``QuantizedRowKernel/usesInterleavedWeight(activations:)``), else nil.
    static func interleaved<S: QuantizationScale>(_ inputs: [Node], _: S.Type, bits: Int, groupSize: Int,
                                                  activations: ActivationPrecision) -> InterleavedWeight? {
        guard QuantizedRowKernel.usesInterleavedWeight(activations: activations) else { return nil }
        return InterleavedWeight.of(packed: inputs[1], scales: inputs[2], biases: inputs[3], S.self, bits: bits, groupSize: groupSize)
    }

    /// Dequantize a tile of weight rows (Graft's threads), then one sgemm on it (OpenBLAS's).
    func tiled<S: QuantizationScale>(_ x: UnsafeMutablePointer<Float>, m: Int, _ w: UnsafeMutablePointer<UInt32>,
                                     _ s: UnsafeMutablePointer<S>, _ b: UnsafeMutablePointer<S>, rows: Int, cols: Int,
               _ out: UnsafeMutablePointer<Float>) {
        let groups = cols / groupSize, wordsPerRow = cols * bits / 32
        let tile = Swift.min(Self.tileRows, rows)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tile * cols)
        defer { scratch.deallocate() }
        let ws = SendPtr(w), ss = SendPtr(s), bs = SendPtr(b), sc = SendPtr(scratch)
        let bits = self.bits, groupSize = self.groupSize
        var start = 0
        while start < rows {
            let n = Swift.min(tile, rows - start)
            Parallel.forEach(n, costPerItem: cols * 2) { r in
                for i in r {
                    let row = start + i
                    dequantizeRow(ws.p + row * wordsPerRow, ss.p + row * groups, bs.p + row * groups,
                                  bits: bits, groupSize: groupSize, cols: cols, into: sc.p + i * cols)
                }
            }
            if transposed {
                // out[:, start..<start+n] = x [m, cols] · tileᵀ
                Gemm.run(false, true, m: m, n: n, k: cols, x, lda: cols, scratch, ldb: cols, out + start, ldc: rows)
            } else {
                // out [m, cols] += x[:, start..<start+n] · tile
                Gemm.run(false, false, m: m, n: cols, k: n, x + start, lda: rows, scratch, ldb: cols, out, ldc: cols,
                         beta: start == 0 ? 0 : 1)
            }
            start += n
        }
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        let back = QuantizedMatmul(bits: bits, groupSize: groupSize, transposed: !transposed)
        let shape = Array(g.shape.dropLast()) + [inputs[0].shape.last!]
        return [Tensor.make(back, [g, inputs[1], inputs[2], inputs[3]], shape: shape, dtype: .float32), nil, nil, nil]
    }
}

extension Tensor {
    /// `x · Wᵀ` for `x [..., cols]` (a linear layer on a quantized weight), or `x · W` for
    /// `x [..., rows]` when `transposed` is false. Differentiable in `x` only: the packed
    /// weight is frozen and gets no gradient work.
    ///
    /// `activations: .int8` lets the few-row (decoding) kernel quantize `x` to 8 bits per 32
    /// values, as llama.cpp does, where the CPU can (see ``ActivationPrecision``): for inference
    /// only, never where a gradient or an exact result is wanted.
    public static func quantizedMatmul(_ x: Tensor, _ w: QuantizedWeight, transposed: Bool = true,
                                       activations: ActivationPrecision = .float32) -> Tensor {
        let inner = transposed ? w.cols : w.rows, outer = transposed ? w.rows : w.cols
        guard x.dtype == .float32, x.ndim >= 1, x.shape.last == inner else {
            return failed(GraftError("quantizedMatmul", "x \(x.shape) \(x.dtype) does not fit a \(w.rows)×\(w.cols) weight\(transposed ? "ᵀ" : "") (needs float32 [..., \(inner)])"))
        }
        return make(QuantizedMatmul(bits: w.bits, groupSize: w.groupSize, transposed: transposed, activations: activations),
                    [x, w.packed, w.scales, w.biases], shape: Array(x.shape.dropLast()) + [outer], dtype: .float32)
    }
}
