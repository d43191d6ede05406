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
                var j = 0
                if d % 8 == 0 {
                    let lanesScale = SIMD8<Float>(repeating: scale)
                    while j &+ 8 <= n {
                        UnsafeMutableRawPointer(scores + j).storeBytes(of: lanesScale * eightDots(query, keys + j &* d, d: d),
                                                                       as: SIMD8<Float>.self)
                        j &+= 8
                    }
                }
                while j < n { scores[j] = scale * dot(query, keys + j * d, count: d); j &+= 1 }
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

    /// The dot products of `query` with the 8 consecutive stored rows at `keys` (`d` values each,
    /// a multiple of 8): one accumulator per row, then one transposing sum for all eight (a lane
    /// sum per key cost about as much as its eight multiply-adds).
    @inline(__always)
    static func eightDots<E: QuantizationScale>(_ query: UnsafeMutablePointer<Float>, _ keys: UnsafeMutablePointer<E>,
                                                d: Int) -> SIMD8<Float> {
        var a0 = SIMD8<Float>(repeating: 0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
        var i = 0
        while i < d {
            let x = UnsafeRawPointer(query + i).loadUnaligned(as: SIMD8<Float>.self), row = keys + i
            a0.addProduct(x, E.lanes(row, 0)); a1.addProduct(x, E.lanes(row, d))
            a2.addProduct(x, E.lanes(row, 2 &* d)); a3.addProduct(x, E.lanes(row, 3 &* d))
            a4.addProduct(x, E.lanes(row, 4 &* d)); a5.addProduct(x, E.lanes(row, 5 &* d))
            a6.addProduct(x, E.lanes(row, 6 &* d)); a7.addProduct(x, E.lanes(row, 7 &* d))
            i &+= 8
        }
        return transposedSums(a0, a1, a2, a3, a4, a5, a6, a7)
    }

    /// Lane k of the result = the sum of the lanes of the k-th argument.
    @inline(__always)
    static func transposedSums(_ a0: SIMD8<Float>, _ a1: SIMD8<Float>, _ a2: SIMD8<Float>, _ a3: SIMD8<Float>,
                               _ a4: SIMD8<Float>, _ a5: SIMD8<Float>, _ a6: SIMD8<Float>, _ a7: SIMD8<Float>) -> SIMD8<Float> {
        // Halves added: four partial sums per argument, two arguments per vector.
        @inline(__always) func halves(_ x: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
            SIMD8(lowHalf: x.lowHalf, highHalf: y.lowHalf) + SIMD8(lowHalf: x.highHalf, highHalf: y.highHalf)
        }
        // Neighbours added: half the partial sums per argument, twice the arguments per vector.
        @inline(__always) func pairs(_ x: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
            SIMD8(lowHalf: x.evenHalf, highHalf: y.evenHalf) + SIMD8(lowHalf: x.oddHalf, highHalf: y.oddHalf)
        }
        return pairs(pairs(halves(a0, a1), halves(a2, a3)), pairs(halves(a4, a5), halves(a6, a7)))
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
