import CGraftKernels

extension QuantizedRowKernel {
    /// Whether the 8-bit-activation products run on this CPU (AVX-512 VNNI).
    static let int8Available = graft_int8_products_available() != 0
    /// Whether the float32 products on interleaved weights run on this CPU (AVX-512).
    static let interleavedFloatAvailable = graft_float_products_available() != 0

    /// Whether activation rows read as `activations` go through the interleaved copy of the
    /// weight: where the CPU has AVX-512 (VNNI too for int8), unless
    /// ``FewRowKernel/interleavedWhereAvailable`` is off. One float32 row read the packed
    /// weight in Swift's AVX2 kernel at 4.0 ms per SmolLM2 step and reads the copy at 2.5–2.7
    /// (`GraftBench decode-step --rows 1`, alternating builds): the copy is what makes one row
    /// bound by memory rather than by its conversions.
    static func usesInterleavedWeight(activations: ActivationPrecision) -> Bool {
        FewRowKernel.interleavedWhereAvailable && (activations == .int8 && int8Available || interleavedFloatAvailable)
    }

    /// `out [m, rows] = x · Wᵀ` (plus the low-rank term's float32 product) for a few activation
    /// rows against the interleaved copy `layout` of `W`, the blocks of 16 weight rows split over
    /// the threads and the adapter's memory prefetched block by block as
    /// ``forEachTile(_:_:lowRank:rowBytes:_:)`` does. With `activations` int8 (where the CPU can)
    /// `x` is first rounded (see ``ActivationPrecision/int8``).
    static func runInterleaved(_ x: UnsafeMutablePointer<Float>, m: Int, _ layout: InterleavedWeight, groupSize: Int,
                               activations: ActivationPrecision, lowRank: LowRankAddition? = nil,
                               _ out: UnsafeMutablePointer<Float>) {
        let cols = layout.cols, rows = layout.rows, units = cols / 32, padded = (layout.groups &+ 7) & ~7
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: m * padded)
        defer { sums.deallocate() }
        let bits = Int32(layout.bits), shift = Int32(layout.unitShift), half: Int32 = layout.halfFactors ? 1 : 0
        let o = SendPtr(out), s = SendPtr(sums)
        if activations == .int8 && int8Available {
            let panel = UnsafeMutablePointer<Int8>.allocate(capacity: m * cols)
            let unitScales = UnsafeMutablePointer<Float>.allocate(capacity: m * units)
            defer { panel.deallocate(); unitScales.deallocate() }
            graft_int8_quantize_rows(x, m, cols, bits, groupSize, panel, unitScales, sums, padded)
            let (p, d) = (SendPtr(panel), SendPtr(unitScales))
            run(x, m: m, layout, lowRank: lowRank, out) { r in
                graft_int8_product_blocks(bits, layout.blocks, layout.factors, half, r, 1, rows, cols, layout.groups, shift,
                                          p.p, d.p, s.p, padded, m, o.p, rows)
            }
        } else {
            groupSums(x, m: m, cols: cols, groupSize: groupSize, padded: padded, into: sums)
            let xs = SendPtr(x)
            run(x, m: m, layout, lowRank: lowRank, out) { r in
                graft_float_product_blocks(bits, layout.blocks, layout.factors, half, r, 1, rows, cols, layout.groups, shift,
                                           xs.p, s.p, padded, m, o.p, rows)
            }
        }
    }

    /// Runs `blocks(r)` for every block of `layout` over the threads, then the low-rank term.
    private static func run(_ x: UnsafeMutablePointer<Float>, m: Int, _ layout: InterleavedWeight, lowRank: LowRankAddition?,
                            _ out: UnsafeMutablePointer<Float>, _ blocks: (Int) -> Void) {
        let rows = layout.rows, o = SendPtr(out)
        Parallel.forEach(layout.blockCount, costPerItem: 16 * layout.cols * m) { range in
            let outputs = (range.lowerBound * 16)..<Swift.min(rows, range.upperBound * 16)
            for r in range {
                lowRank?.prefetch(part: r &- range.lowerBound, of: range.count, rows: outputs)
                blocks(r)
            }
            lowRank?.add(x, m: m, rows: outputs, of: rows, to: o.p)
        }
    }

    /// `sums[i, g]` = the sum of row `i`'s values in group `g` (zero for `groups ≤ g < padded`).
    static func groupSums(_ x: UnsafeMutablePointer<Float>, m: Int, cols: Int, groupSize: Int, padded: Int,
                          into sums: UnsafeMutablePointer<Float>) {
        let groups = cols / groupSize
        for i in 0..<m {
            let row = x + i * cols
            for g in 0..<padded { sums[i * padded + g] = g < groups ? sum(row + g * groupSize, count: groupSize) : 0 }
        }
    }
}
