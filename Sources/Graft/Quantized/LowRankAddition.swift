extension QuantizedRowKernel {
    /// A low-rank term added to the kernel's outputs (a LoRA adapter fused into it):
    /// `out[i, n] = (x_i·W_n + B[n, :]·t_i)·factor[n]` with `t_i = scale·A·x_i`, which each
    /// parallel chunk computes for itself (a few dot products) so no thread waits for it.
    struct LowRankAddition: @unchecked Sendable {
        /// `A [rank, cols]`.
        let a: SendPtr<Float>
        let scale: Float
        /// `Bᵀ [rank, rows]`.
        let bT: SendPtr<Float>
        let rank, cols: Int
        /// Per-output factors `[rows]` (DoRA), or nil.
        let factor: SendPtr<Float>?

        /// Adds `B[n, :]·t_i` to `out[i, n]` for the weight rows `rows` (of `count`) and applies
        /// the factors.
        func add(_ x: UnsafeMutablePointer<Float>, m: Int, rows: Range<Int>, of count: Int, to out: UnsafeMutablePointer<Float>) {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: m &* rank) { buffer in
                let t = buffer.baseAddress!
                project(x, m: m, into: t)
                addTerms(t, m: m, rows: rows, of: count, to: out)
            }
        }

        /// `out[i, n] += B[n, :]·t_i`, then the factors.
        private func addTerms(_ t: UnsafeMutablePointer<Float>, m: Int, rows: Range<Int>, of count: Int,
                              to out: UnsafeMutablePointer<Float>) {
            let bT = self.bT.p
            for i in 0..<m {
                let ti = t + i &* rank, row = out + i &* count
                // One row of Bᵀ at a time: a single stream through memory; the outputs stay in L1.
                for k in 0..<rank {
                    let column = bT + k &* count, weight = ti[k], lanesWeight = SIMD8<Float>(repeating: weight)
                    var n = rows.lowerBound
                    while n &+ 8 <= rows.upperBound {
                        let target = UnsafeMutableRawPointer(row + n)
                        var lanes = target.loadUnaligned(as: SIMD8<Float>.self)
                        lanes.addProduct(UnsafeRawPointer(column + n).loadUnaligned(as: SIMD8<Float>.self), lanesWeight)
                        target.storeBytes(of: lanes, as: SIMD8<Float>.self)
                        n &+= 8
                    }
                    while n < rows.upperBound { row[n] = row[n].addingProduct(column[n], weight); n &+= 1 }
                }
                if let factor = factor?.p { for n in rows { row[n] *= factor[n] } }
            }
        }

        /// `t[i, k] = scale·(A[k, :]·x[i, :])` for the `m` rows of `x`, reading `A` in memory
        /// order (one stream the hardware prefetcher follows) with four chains per dot product.
        func project(_ x: UnsafeMutablePointer<Float>, m: Int, into t: UnsafeMutablePointer<Float>) {
            for i in 0..<m {
                let xi = x + i &* cols
                for k in 0..<rank {
                    let ak = a.p + k &* cols
                    var s0 = SIMD8<Float>(repeating: 0), s1 = s0, s2 = s0, s3 = s0
                    var j = 0
                    @inline(__always) func load(_ p: UnsafeMutablePointer<Float>, _ offset: Int) -> SIMD8<Float> {
                        UnsafeRawPointer(p + offset).loadUnaligned(as: SIMD8<Float>.self)
                    }
                    while j &+ 32 <= cols {
                        s0.addProduct(load(ak, j), load(xi, j)); s1.addProduct(load(ak, j &+ 8), load(xi, j &+ 8))
                        s2.addProduct(load(ak, j &+ 16), load(xi, j &+ 16)); s3.addProduct(load(ak, j &+ 24), load(xi, j &+ 24))
                        j &+= 32
                    }
                    while j &+ 8 <= cols { s0.addProduct(load(ak, j), load(xi, j)); j &+= 8 }
                    var total = VectorMath.lanesSum((s0 + s1) + (s2 + s3))
                    while j < cols { total = total.addingProduct(ak[j], xi[j]); j &+= 1 }
                    t[i &* rank &+ k] = scale * total
                }
            }
        }
    }
}
