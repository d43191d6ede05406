import CGraftKernels

extension QuantizedRowKernel {
    /// Whether the 8-bit-activation products run on this CPU.
    static let int8Available = graft_int8_products_available() != 0

    /// Weight rows `range` against the activation rows quantized to 8 bits (`panel`,
    /// `unitScales` from `graft_int8_quantize_rows`), a tile of `FactorTile.rows` at a time.
    static func int8Rows<S: QuantizationScale>(_ range: Range<Int>, _ o: Operands<S>, bits: Int,
                                               panel: UnsafePointer<Int8>, unitScales: UnsafePointer<Float>) {
        let tile = FactorTile(groups: o.groups)
        defer { tile.deallocate() }
        let rowBytes = o.cols * bits / 8
        var first = range.lowerBound
        while first < range.upperBound {
            let count = Swift.min(FactorTile.rows, range.upperBound &- first)
            tile.load(o, first: first, count: count)
            graft_int8_product_rows(Int32(bits), o.w.p + first &* rowBytes, rowBytes, count, tile.scales, tile.biases,
                                    o.groups, Int32(o.unitShift), panel, unitScales, o.sums.p, o.paddedGroups, o.m,
                                    o.out.p + first, o.rows)
            first &+= count
        }
    }
}
