/// ``Attention`` for one query per batch row and head — a decoding step — in float32: the
/// scores are SIMD dot products of the query with each visible key, the output a SIMD
/// multiply-add of each value row, per (row, head) on Graft's workers. Through `Gemm` every
/// head made two matrix-vector calls into OpenBLAS, whose fixed costs took most of the time
/// of vectors this short (64 values per key; MLX's Metal backend has a kernel of its own for
/// this case too).
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
                for j in 0..<n { scores[j] = scale * dot(query, keys + j * d, count: d) }
                let largest = Float.maximum(scores, count: n)
                Float.exponentials(scores, minus: largest, into: scores, count: n)
                let sum = Float(Float.sumInFloat64(scores, count: n)), inverse = sum > 0 ? 1 / sum : 0
                let out = os.p + item * dv
                out.update(repeating: 0, count: dv)
                for j in 0..<n { addScaled(values + j * dv, scores[j] * inverse, to: out, count: dv) }
            }
        }
    }

    /// `Σ x[i]·y[i]` with two chains of 8 lanes.
    @inline(__always)
    static func dot(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var even = SIMD8<Float>(repeating: 0), odd = even, i = 0
        @inline(__always) func lanes(_ p: UnsafeMutablePointer<Float>, _ at: Int) -> SIMD8<Float> {
            UnsafeRawPointer(p + at).loadUnaligned(as: SIMD8<Float>.self)
        }
        while i &+ 16 <= count {
            even.addProduct(lanes(x, i), lanes(y, i))
            odd.addProduct(lanes(x, i &+ 8), lanes(y, i &+ 8))
            i &+= 16
        }
        if i &+ 8 <= count { even.addProduct(lanes(x, i), lanes(y, i)); i &+= 8 }
        var total = VectorMath.lanesSum(even + odd)
        while i < count { total = total.addingProduct(x[i], y[i]); i &+= 1 }
        return total
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
