/// ``Attention`` for one query per batch row and head — a decoding step — in float32: the
/// scores are SIMD dot products of the query with each visible key, the output a SIMD
/// multiply-add of each value row (held in registers for 64 values per head), per (row, head)
/// on Graft's workers. Through `Gemm` every head made two matrix-vector calls into OpenBLAS,
/// whose fixed costs took most of the time of vectors this short (64 values per key; MLX's
/// Metal backend has a kernel of its own for this case too).
extension Attention {
    static func runSingleQuery(_ q: UnsafeMutablePointer<Float>, _ k: UnsafeMutablePointer<Float>,
                               _ v: UnsafeMutablePointer<Float>, _ o: UnsafeMutablePointer<Float>,
                               b: Int, hq: Int, hkv: Int, s: Int, d: Int, dv: Int, scale: Float, keyLengths: [Int]?) {
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
                for j in 0..<n { scores[j] = scale * VectorMath.dot(query, keys + j * d, count: d) }
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

    /// `out = scale·Σ_j weights[j]·rows[j]` for `count` rows of 64 values, the sum held in eight
    /// registers (64 values per head is the common case: SmolLM2, Llama, Qwen).
    @inline(__always)
    static func weightedSum64(_ rows: UnsafeMutablePointer<Float>, _ weights: UnsafeMutablePointer<Float>, scale: Float,
                              count: Int, into out: UnsafeMutablePointer<Float>) {
        var s0 = SIMD8<Float>(repeating: 0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0
        for j in 0..<count {
            let row = UnsafeRawPointer(rows + j &* 64), w = SIMD8<Float>(repeating: weights[j])
            s0.addProduct(row.loadUnaligned(as: SIMD8<Float>.self), w)
            s1.addProduct(row.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), w)
            s2.addProduct(row.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), w)
            s3.addProduct(row.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self), w)
            s4.addProduct(row.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self), w)
            s5.addProduct(row.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self), w)
            s6.addProduct(row.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self), w)
            s7.addProduct(row.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self), w)
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
    static func addScaled(_ row: UnsafeMutablePointer<Float>, _ weight: Float, to out: UnsafeMutablePointer<Float>,
                          count: Int) {
        let lanesWeight = SIMD8<Float>(repeating: weight)
        var i = 0
        while i &+ 8 <= count {
            let target = UnsafeMutableRawPointer(out + i)
            var lanes = target.loadUnaligned(as: SIMD8<Float>.self)
            lanes.addProduct(UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self), lanesWeight)
            target.storeBytes(of: lanes, as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < count { out[i] = out[i].addingProduct(row[i], weight); i &+= 1 }
    }
}
