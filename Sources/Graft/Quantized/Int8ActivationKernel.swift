import CGraftKernels

extension QuantizedRowKernel {
    /// Whether the 8-bit-activation products run on this CPU.
    static let int8Available = graft_int8_products_available() != 0

    /// `out [m, rows] = round8(x) · Wᵀ` (plus the low-rank term's float32 product) for a few
    /// activation rows against the interleaved copy `layout` of `W`: `x` rounded once (see
    /// ``ActivationPrecision/int8``), then the blocks of 16 weight rows split over the threads,
    /// the adapter's memory prefetched block by block as ``forEachTile(_:_:lowRank:rowBytes:_:)`` does.
    static func runInt8(_ x: UnsafeMutablePointer<Float>, m: Int, _ layout: Int8WeightLayout, groupSize: Int,
                        lowRank: LowRankAddition? = nil, _ out: UnsafeMutablePointer<Float>) {
        let cols = layout.cols, units = cols / 32, padded = (layout.groups &+ 7) & ~7
        let panel = UnsafeMutablePointer<Int8>.allocate(capacity: m * cols)
        let unitScales = UnsafeMutablePointer<Float>.allocate(capacity: m * units)
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: m * padded)
        defer { panel.deallocate(); unitScales.deallocate(); sums.deallocate() }
        graft_int8_quantize_rows(x, m, cols, groupSize, panel, unitScales, sums, padded)
        let (p, d, s, o) = (SendPtr(panel), SendPtr(unitScales), SendPtr(sums), SendPtr(out))
        let rows = layout.rows
        Parallel.forEach(layout.blockCount, costPerItem: 16 * cols * m) { blocks in
            let outputs = (blocks.lowerBound * 16)..<Swift.min(rows, blocks.upperBound * 16)
            for r in blocks {
                lowRank?.prefetch(part: r &- blocks.lowerBound, of: blocks.count, rows: outputs)
                graft_int8_product_blocks(Int32(layout.bits), layout.blocks, layout.factors, r, 1, rows, cols, layout.groups,
                                          Int32(layout.unitShift), p.p, d.p, s.p, padded, m, o.p, rows)
            }
            lowRank?.add(x, m: m, rows: outputs, of: rows, to: o.p)
        }
    }
}
