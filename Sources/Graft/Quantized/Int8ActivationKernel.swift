import CGraftKernels

extension QuantizedRowKernel {
    /// Whether the 8-bit-activation products run on this CPU.
    static let int8Available = graft_int8_products_available() != 0

    /// Weight rows `range` against the activation rows `rounded` (whose group sums are the
    /// operands' `sums`), a tile of `FactorTile.rows` at a time, the adapter's memory
    /// prefetched across the tiles as in ``forEachTile(_:_:lowRank:rowBytes:_:)``.
    static func int8Rows<S: QuantizationScale>(_ range: Range<Int>, _ o: Operands<S>, bits: Int, lowRank: LowRankAddition?,
                                               _ rounded: RoundedActivations) {
        let tile = FactorTile(groups: o.groups)
        defer { tile.deallocate() }
        let rowBytes = o.cols * bits / 8
        let tiles = (range.count &+ FactorTile.rows &- 1) / FactorTile.rows
        var first = range.lowerBound
        while first < range.upperBound {
            let count = Swift.min(FactorTile.rows, range.upperBound &- first)
            tile.load(o, first: first, count: count)
            lowRank?.prefetch(part: (first &- range.lowerBound) / FactorTile.rows, of: tiles, rows: range)
            graft_int8_product_rows(Int32(bits), o.w.p + first &* rowBytes, rowBytes, count, tile.scales, tile.biases,
                                    o.groups, Int32(o.unitShift), rounded.panel.p, rounded.unitScales.p, o.sums.p, o.paddedGroups, o.m,
                                    o.out.p + first, o.rows)
            first &+= count
        }
    }
}

/// Activation rows rounded to signed bytes for the 8-bit products (`graft_int8_quantize_rows`):
/// the byte panel and each chunk's lane scales; the rounded values' group sums go to the
/// caller's `sums`.
struct RoundedActivations: @unchecked Sendable {
    let panel: SendPtr<Int8>
    let unitScales: SendPtr<Float>

    init(_ x: UnsafeMutablePointer<Float>, m: Int, cols: Int, bits: Int, groupSize: Int,
         sums: UnsafeMutablePointer<Float>, padded: Int) {
        let chunks = graft_int8_chunks(cols, Int32(bits)), rowBytes = chunks * (bits == 4 ? 128 : 64)
        panel = SendPtr(UnsafeMutableRawPointer.allocate(byteCount: m * rowBytes, alignment: 64)
            .bindMemory(to: Int8.self, capacity: m * rowBytes))
        unitScales = SendPtr(.allocate(capacity: m * chunks * 16))
        graft_int8_quantize_rows(x, m, cols, Int32(bits), groupSize, panel.p, unitScales.p, sums, padded)
    }

    func deallocate() {
        UnsafeMutableRawPointer(panel.p).deallocate()
        unitScales.p.deallocate()
    }
}
