/// `x · Wᵀ` (or `x · W`) with `W` an affine-quantized matrix, never materialised in full:
/// a few rows (decoding) use a fused dequantize-and-dot kernel per output; many rows
/// dequantize `W` a tile of rows at a time into scratch and call sgemm on it.
struct QuantizedMatmul: Primitive {
    let bits: Int
    let groupSize: Int
    /// true: `x [M, cols] · Wᵀ → [M, rows]`; false: `x [M, rows] · W → [M, cols]`.
    let transposed: Bool
    var name: String { "quantizedMatmul" }

    /// Rows at or below this use the fused kernel.
    static let fusedRowLimit = 4
    /// Weight rows dequantized per tile on the GEMM path.
    static let tileRows = 512

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let x = inputs[0], packed = inputs[1]
        let out = output.allocate()
        let rows = packed.shape[0], wordsPerRow = packed.shape[1], cols = wordsPerRow * 32 / bits
        let m = x.count / x.shape.last!
        let w = packed.pointer(UInt32.self), s = inputs[2].pointer(Float.self), b = inputs[3].pointer(Float.self)
        if transposed && m <= Self.fusedRowLimit {
            fusedRows(x.pointer(Float.self), m: m, w, s, b, rows: rows, cols: cols, out.pointer(Float.self))
        } else {
            tiled(x.pointer(Float.self), m: m, w, s, b, rows: rows, cols: cols, out.pointer(Float.self))
        }
        return out
    }

    /// out[i, n] = Σ_g scale_g·(x_g · q_g) + bias_g·Σx_g, parallel over output features. The
    /// dot products run 8 lanes wide: each packed word expands to 8 (4-bit) or 4 (8-bit)
    /// integers, turned into floats exactly through the 2²³ exponent trick.
    func fusedRows(_ x: UnsafeMutablePointer<Float>, m: Int, _ w: UnsafeMutablePointer<UInt32>,
                   _ s: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                   _ out: UnsafeMutablePointer<Float>) {
        let groups = cols / groupSize, perWord = 32 / bits, wordsPerGroup = groupSize / perWord
        let wordsPerRow = cols / perWord
        // Per-group sums of x, used by the bias term.
        let xsum = UnsafeMutablePointer<Float>.allocate(capacity: m * groups)
        defer { xsum.deallocate() }
        for i in 0..<m {
            for g in 0..<groups {
                var acc: Float = 0
                for k in 0..<groupSize { acc += x[i * cols + g * groupSize + k] }
                xsum[i * groups + g] = acc
            }
        }
        let xs = SendPtr(x), ws = SendPtr(w), ss = SendPtr(s), bs = SendPtr(b), os = SendPtr(out), sums = SendPtr(xsum)
        let bits = self.bits, groupSize = self.groupSize
        Parallel.forEach(rows, costPerItem: cols * m) { range in
            for n in range {
                let wr = ws.p + n * wordsPerRow, sr = ss.p + n * groups, br = bs.p + n * groups
                for i in 0..<m {
                    let xr = UnsafeRawPointer(xs.p + i * cols)
                    var acc = SIMD8<Float>(repeating: 0)
                    var offsetTotal: Float = 0
                    for g in 0..<groups {
                        let wg = wr + g * wordsPerGroup
                        let xg = xr + g * groupSize * 4
                        let dot = bits == 4 ? QuantizedMatmul.dot4(wg, xg, words: wordsPerGroup)
                                            : QuantizedMatmul.dot8(wg, xg, words: wordsPerGroup)
                        acc += dot * sr[g]
                        offsetTotal += br[g] * sums[i * groups + g]
                    }
                    os[i * rows + n] = acc.sum() + offsetTotal
                }
            }
        }
    }

    /// Lane sums of `x · q` over `words` packed 4-bit words (8 values each); two accumulators
    /// keep the adds independent.
    @inline(__always)
    static func dot4(_ w: UnsafeMutablePointer<UInt32>, _ x: UnsafeRawPointer, words: Int) -> SIMD8<Float> {
        let shifts = SIMD8<UInt32>(0, 4, 8, 12, 16, 20, 24, 28)
        let magic = SIMD8<UInt32>(repeating: 0x4B00_0000)
        var a0 = SIMD8<Float>(repeating: 0), a1 = SIMD8<Float>(repeating: 0)
        var k = 0
        while k + 1 < words {
            let q0 = (SIMD8<UInt32>(repeating: w[k]) &>> shifts) & 0xF
            let q1 = (SIMD8<UInt32>(repeating: w[k + 1]) &>> shifts) & 0xF
            a0 += (unsafeBitCast(q0 | magic, to: SIMD8<Float>.self) - 8_388_608) * x.loadUnaligned(fromByteOffset: k * 32, as: SIMD8<Float>.self)
            a1 += (unsafeBitCast(q1 | magic, to: SIMD8<Float>.self) - 8_388_608) * x.loadUnaligned(fromByteOffset: k * 32 + 32, as: SIMD8<Float>.self)
            k += 2
        }
        if k < words {
            let q = (SIMD8<UInt32>(repeating: w[k]) &>> shifts) & 0xF
            a0 += (unsafeBitCast(q | magic, to: SIMD8<Float>.self) - 8_388_608) * x.loadUnaligned(fromByteOffset: k * 32, as: SIMD8<Float>.self)
        }
        return a0 + a1
    }

    /// Lane sums of `x · q` over `words` packed 8-bit words: the packing puts values in byte
    /// order, so 8 bytes widen straight to 8 lanes.
    @inline(__always)
    static func dot8(_ w: UnsafeMutablePointer<UInt32>, _ x: UnsafeRawPointer, words: Int) -> SIMD8<Float> {
        let bytes = UnsafeRawPointer(w)
        let magic = SIMD8<UInt32>(repeating: 0x4B00_0000)
        var a0 = SIMD8<Float>(repeating: 0), a1 = SIMD8<Float>(repeating: 0)
        var k = 0
        let count = words * 4
        while k + 16 <= count {
            let q0 = SIMD8<UInt32>(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: k, as: SIMD8<UInt8>.self))
            let q1 = SIMD8<UInt32>(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: k + 8, as: SIMD8<UInt8>.self))
            a0 += (unsafeBitCast(q0 | magic, to: SIMD8<Float>.self) - 8_388_608) * x.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
            a1 += (unsafeBitCast(q1 | magic, to: SIMD8<Float>.self) - 8_388_608) * x.loadUnaligned(fromByteOffset: k * 4 + 32, as: SIMD8<Float>.self)
            k += 16
        }
        while k < count {
            let q = SIMD8<UInt32>(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: k, as: SIMD8<UInt8>.self))
            a0 += (unsafeBitCast(q | magic, to: SIMD8<Float>.self) - 8_388_608) * x.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
            k += 8
        }
        return a0 + a1
    }

    /// Dequantize a tile of weight rows (Graft's threads), then one sgemm on it (OpenBLAS's).
    func tiled(_ x: UnsafeMutablePointer<Float>, m: Int, _ w: UnsafeMutablePointer<UInt32>,
               _ s: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
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
    public static func quantizedMatmul(_ x: Tensor, _ w: QuantizedWeight, transposed: Bool = true) -> Tensor {
        let inner = transposed ? w.cols : w.rows, outer = transposed ? w.rows : w.cols
        guard x.dtype == .float32, x.ndim >= 1, x.shape.last == inner else {
            return failed(GraftError("quantizedMatmul", "x \(x.shape) \(x.dtype) does not fit a \(w.rows)×\(w.cols) weight\(transposed ? "ᵀ" : "") (needs float32 [..., \(inner)])"))
        }
        return make(QuantizedMatmul(bits: w.bits, groupSize: w.groupSize, transposed: transposed),
                    [x, w.packed, w.scales, w.biases], shape: Array(x.shape.dropLast()) + [outer], dtype: .float32)
    }
}
