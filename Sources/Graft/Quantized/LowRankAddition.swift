import CGraftKernels

extension QuantizedRowKernel {
    /// A low-rank term added to the kernel's outputs (a LoRA adapter fused into it):
    /// `out[i, n] = (x_i·W_n + B[n, :]·t_i)·factor[n]` with `t_i = scale·A·x_i`, which each
    /// parallel chunk computes for itself (a few dot products) so no thread waits for it.
    struct LowRankAddition: @unchecked Sendable {
        /// `A [rank, cols]` and `B` in panels of eight outputs `[⌈rows/8⌉, rank, 8]` (see
        /// `LowRankTerm`).
        let a, bPanels: SendPtr<Float>
        let scale: Float
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
            if let factor = factor?.p {
                for i in 0..<m {
                    let row = out + i &* count
                    for n in rows { row[n] *= factor[n] }
                }
            }
        }

        /// Prefetches into L2 part `part` of `parts` of the memory ``add(_:m:rows:of:to:)`` will
        /// read for `rows`: all of `A`, then the panels of `B` that hold `rows`. The row kernels
        /// call it once per tile of weight rows, so the term's reads arrive while the base
        /// computes instead of stalling it afterwards (A and B are read once per product, in
        /// streams too short for the hardware prefetcher to get ahead).
        @inline(__always)
        func prefetch(part: Int, of parts: Int, rows: Range<Int>) {
            let size = MemoryLayout<Float>.size, aBytes = rank &* cols &* size, panelBytes = rank &* 8 &* size
            let first: Int = (rows.lowerBound >> 3) &* panelBytes, last: Int = ((rows.upperBound &+ 7) >> 3) &* panelBytes
            let aLines: Int = (aBytes &+ 63) >> 6, total: Int = aLines &+ ((last &- first &+ 63) >> 6)
            var line = total &* part / parts
            let end = total &* (part &+ 1) / parts
            while line < end {
                if line < aLines {
                    graft_prefetch_l2(UnsafeRawPointer(a.p) + (line &<< 6))
                } else {
                    graft_prefetch_l2(UnsafeRawPointer(bPanels.p) + (first &+ ((line &- aLines) &<< 6)))
                }
                line &+= 1
            }
        }

        /// `out[i, n] += B[n, :]·t_i`, a panel (eight outputs) at a time; outputs at the edges
        /// of `rows` that share a panel with the neighbouring chunk one by one.
        @inline(__always)
        private func addTerms(_ t: UnsafeMutablePointer<Float>, m: Int, rows: Range<Int>, of count: Int,
                              to out: UnsafeMutablePointer<Float>) {
            let panels = bPanels.p
            let wholeStart: Int = (rows.lowerBound &+ 7) & ~7, wholeEnd: Int = rows.upperBound & ~7
            let whole = wholeStart..<Swift.max(wholeStart, wholeEnd)
            for i in 0..<m {
                let ti = t + i &* rank, row = out + i &* count
                @inline(__always) func single(_ n: Int) {
                    let offset: Int = (n >> 3) &* rank &* 8 &+ (n & 7), panel = panels + offset
                    var sum: Float = 0
                    for k in 0..<rank { sum = sum.addingProduct(panel[k &* 8], ti[k]) }
                    row[n] += sum
                }
                if whole.isEmpty { for n in rows { single(n) }; continue }
                for n in rows.lowerBound..<whole.lowerBound { single(n) }
                var n = whole.lowerBound
                while n < whole.upperBound {
                    let offset: Int = (n >> 3) &* rank &* 8
                    let panel = panels + offset, target = UnsafeMutableRawPointer(row + n)
                    var lanes = target.loadUnaligned(as: SIMD8<Float>.self)
                    for k in 0..<rank { lanes.addProduct(Float.lanes(panel, k &* 8), SIMD8<Float>(repeating: ti[k])) }
                    target.storeBytes(of: lanes, as: SIMD8<Float>.self)
                    n &+= 8
                }
                for n in whole.upperBound..<rows.upperBound { single(n) }
            }
        }

        /// `t[i, k] = scale·(A[k, :]·x[i, :])` for the `m` rows of `x`, reading `A` in memory
        /// order (one stream the hardware prefetcher follows).
        @inline(__always)
        private func project(_ x: UnsafeMutablePointer<Float>, m: Int, into t: UnsafeMutablePointer<Float>) {
            for i in 0..<m {
                let xi = x + i &* cols
                for k in 0..<rank {
                    t[i &* rank &+ k] = scale * VectorMath.dot(a.p + k &* cols, xi, count: cols)
                }
            }
        }
    }
}
