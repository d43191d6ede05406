/// ``Attention`` for one query per batch row and head — a decoding step — in float32: the
/// scores are SIMD dot products of the query with each visible key, the output a SIMD
/// multiply-add of each value row (held in registers for 64 values per head), per (row, head)
/// on Graft's workers. Through `Gemm` every head made two matrix-vector calls into OpenBLAS,
/// whose fixed costs took most of the time of vectors this short (64 values per key; MLX's
/// Metal backend has a kernel of its own for this case too).
///
/// Keys and values may be stored as float16 (a float16 KV cache): each is widened to float32
/// as it is loaded (`vcvtph2ps`), so the cache streams half the bytes.
extension Attention {
    static func runSingleQuery<E: QuantizationScale>(_ q: UnsafeMutablePointer<Float>, _ k: UnsafeMutablePointer<E>,
                                                     _ v: UnsafeMutablePointer<E>, _ o: UnsafeMutablePointer<Float>,
                                                     b: Int, hq: Int, hkv: Int, s: Int, d: Int, dv: Int, scale: Float,
                                                     keyLengths: [Int]?) {
        let group = hq / hkv
        let qs = SendPtr(q), ks = SendPtr(k), vs = SendPtr(v), os = SendPtr(o)
        Parallel.forEach(b * hq, costPerItem: s * (d + dv)) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: s)
            defer { scores.deallocate() }
            for item in range {
                let batch = item / hq, head = item % hq, kvHead = batch * hkv + head / group
                // The query sits after every stored key of its row, so all of them are visible.
                let n = keyLengths?[batch] ?? s
                let query = qs.p + item * d, keys = ks.p + kvHead * s * d, values = vs.p + kvHead * s * dv
                for j in 0..<n { scores[j] = scale * dot(query, keys + j * d, count: d) }
                let largest = Float.maximum(scores, count: n)
                Float.exponentials(scores, minus: largest, into: scores, count: n)
                let sum = Float(Float.sumInFloat64(scores, count: n)), inverse = sum > 0 ? 1 / sum : 0
                let out = os.p + item * dv
                if dv == 64 {
                    weightedSum64(values, scores, scale: inverse, count: n, into: out)
                } else {
                    out.update(repeating: 0, count: dv)
                    for j in 0..<n { addScaled(values + j * dv, scores[j] * inverse, to: out, count: dv) }
                }
            }
        }
    }

    /// `x · y` for a float32 `x` and a stored row `y` of `count` values.
    @inline(__always)
    static func dot<E: QuantizationScale>(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<E>, count: Int) -> Float {
        if E.self == Float.self { return VectorMath.dot(x, UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), count: count) }
        var s0 = SIMD8<Float>(repeating: 0), s1 = s0
        var i = 0
        while i &+ 16 <= count {
            s0.addProduct(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self), E.lanes(y, i))
            s1.addProduct(UnsafeRawPointer(x + (i &+ 8)).loadUnaligned(as: SIMD8<Float>.self), E.lanes(y, i &+ 8))
            i &+= 16
        }
        var total = VectorMath.lanesSum(s0 + s1)
        while i < count { total = total.addingProduct(x[i], y[i].float); i &+= 1 }
        return total
    }

    /// `out = scale·Σ_j weights[j]·rows[j]` for `count` rows of 64 values, the sum held in eight
    /// registers (64 values per head is the common case: SmolLM2, Llama, Qwen).
    @inline(__always)
    static func weightedSum64<E: QuantizationScale>(_ rows: UnsafeMutablePointer<E>, _ weights: UnsafeMutablePointer<Float>,
                                                    scale: Float, count: Int, into out: UnsafeMutablePointer<Float>) {
        var s0 = SIMD8<Float>(repeating: 0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0
        for j in 0..<count {
            let row = rows + j &* 64, w = SIMD8<Float>(repeating: weights[j])
            s0.addProduct(E.lanes(row, 0), w)
            s1.addProduct(E.lanes(row, 8), w)
            s2.addProduct(E.lanes(row, 16), w)
            s3.addProduct(E.lanes(row, 24), w)
            s4.addProduct(E.lanes(row, 32), w)
            s5.addProduct(E.lanes(row, 40), w)
            s6.addProduct(E.lanes(row, 48), w)
            s7.addProduct(E.lanes(row, 56), w)
        }
        let target = UnsafeMutableRawPointer(out), f = SIMD8<Float>(repeating: scale)
        target.storeBytes(of: s0 * f, as: SIMD8<Float>.self)
        target.storeBytes(of: s1 * f, toByteOffset: 32, as: SIMD8<Float>.self)
        target.storeBytes(of: s2 * f, toByteOffset: 64, as: SIMD8<Float>.self)
        target.storeBytes(of: s3 * f, toByteOffset: 96, as: SIMD8<Float>.self)
        target.storeBytes(of: s4 * f, toByteOffset: 128, as: SIMD8<Float>.self)
        target.storeBytes(of: s5 * f, toByteOffset: 160, as: SIMD8<Float>.self)
        target.storeBytes(of: s6 * f, toByteOffset: 192, as: SIMD8<Float>.self)
        target.storeBytes(of: s7 * f, toByteOffset: 224, as: SIMD8<Float>.self)
    }

    /// `out[i] += weight·row[i]`.
    @inline(__always)
    static func addScaled<E: QuantizationScale>(_ row: UnsafeMutablePointer<E>, _ weight: Float, to out: UnsafeMutablePointer<Float>,
                                                count: Int) {
        let lanesWeight = SIMD8<Float>(repeating: weight)
        var i = 0
        while i &+ 8 <= count {
            let target = UnsafeMutableRawPointer(out + i)
            var lanes = target.loadUnaligned(as: SIMD8<Float>.self)
            lanes.addProduct(E.lanes(row, i), lanesWeight)
            target.storeBytes(of: lanes, as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < count { out[i] = out[i].addingProduct(row[i].float, weight); i &+= 1 }
    }
}
