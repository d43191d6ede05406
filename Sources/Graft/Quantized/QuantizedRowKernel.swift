import CGraftKernels

/// The decoding kernel of `QuantizedMatmul`: a few activation rows `x [m, cols]` against an
/// affine-quantized matrix `W [rows, cols]` (`w = scale·q + bias` per group), read once
/// straight from its packed words, parallel over output features:
///
///     out[i, n] = Σ_g scale[n, g]·(x_g · q_g) + bias[n, g]·Σ x_g
///
/// Packed bytes widen to 32-bit lanes (`vpmovzxbd`), convert to floats and meet `x` in fused
/// multiply-adds, 8 lanes at a time, in units of 32 weights. Activation rows run in blocks of
/// eight, four, two or one, each converted unit of weights meeting every row of the block (the
/// per-bit-width loops are in `FourBitRowKernel.swift` and `EightBitRowKernel.swift`).
///
/// `x` is first copied into a panel in the order the loops read it: block by block, unit by
/// unit, the block's rows' 32 values of that unit one after another, so a block's reads are one
/// forward stream from one pointer (with separate row pointers the eight-row loop kept them on
/// the stack and ran ~10% slower). In the 4-bit packing byte `j` holds values `2j` (low nibble)
/// and `2j + 1` (high nibble), so a 4-bit panel holds each unit's 16 even values, then its 16 odd.
///
/// Where the CPU has AVX-512 the rows run instead on an interleaved copy of the weight, in C
/// (`InterleavedKernels.swift`); this kernel serves CPUs without it.
enum QuantizedRowKernel {
    static func run<S: QuantizationScale>(_ x: UnsafeMutablePointer<Float>, m: Int, _ w: UnsafeMutablePointer<UInt32>,
                                          _ s: UnsafeMutablePointer<S>, _ b: UnsafeMutablePointer<S>,
                                          rows: Int, cols: Int, bits: Int, groupSize: Int, lowRank: LowRankAddition? = nil,
                                          _ out: UnsafeMutablePointer<Float>) {
        let groups = cols / groupSize, padded = (groups &+ 7) & ~7
        // Per-group sums of x (for the bias term; zero past the last group, up to a multiple of 8).
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: m * padded)
        let panel = UnsafeMutableRawPointer.allocate(byteCount: m * cols * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: m * cols)
        defer { sums.deallocate(); panel.deallocate() }
        groupSums(x, m: m, cols: cols, groupSize: groupSize, padded: padded, into: sums)
        fillPanel(panel, from: x, m: m, cols: cols, splitEvenOdd: bits == 4)
        let operands = Operands(panel: SendPtr(panel), m: m,
                                w: SendPtr(UnsafeMutableRawPointer(w).assumingMemoryBound(to: UInt8.self)),
                                scales: SendPtr(s), biases: SendPtr(b), sums: SendPtr(sums), out: SendPtr(out),
                                rows: rows, cols: cols, groupSize: groupSize, groups: groups, paddedGroups: padded)
        Parallel.forEach(rows, costPerItem: cols * m) { range in
            // The base kernel, then the adapter's terms on the same outputs (a fused LoRA).
            if bits == 4 { fourBitRows(range, operands, lowRank: lowRank) } else { eightBitRows(range, operands, lowRank: lowRank) }
            lowRank?.add(x, m: m, rows: range, of: rows, to: out)
        }
    }

    /// Copies `x [m, cols]` into `panel` in the kernel's reading order (see the type's comment).
    static func fillPanel(_ panel: UnsafeMutablePointer<Float>, from x: UnsafeMutablePointer<Float>, m: Int, cols: Int,
                          splitEvenOdd: Bool) {
        let units = cols / 32
        var i = 0
        while i < m {
            let size = blockSize(from: i, of: m, cols: cols), block = panel + i * cols
            for k in 0..<size {
                let row = UnsafeRawPointer(x + (i + k) * cols)
                for u in 0..<units {
                    let target = UnsafeMutableRawPointer(block + (u * size + k) * 32)
                    let first = row.loadUnaligned(fromByteOffset: u * 128, as: SIMD16<Float>.self)
                    let second = row.loadUnaligned(fromByteOffset: u * 128 + 64, as: SIMD16<Float>.self)
                    if splitEvenOdd {
                        target.storeBytes(of: first.evenHalf, as: SIMD8<Float>.self)
                        target.storeBytes(of: first.oddHalf, toByteOffset: 32, as: SIMD8<Float>.self)
                        target.storeBytes(of: second.evenHalf, toByteOffset: 64, as: SIMD8<Float>.self)
                        target.storeBytes(of: second.oddHalf, toByteOffset: 96, as: SIMD8<Float>.self)
                    } else {
                        target.storeBytes(of: first, as: SIMD16<Float>.self)
                        target.storeBytes(of: second, toByteOffset: 64, as: SIMD16<Float>.self)
                    }
                }
            }
            i += size
        }
    }

    /// The block size for the activation rows from `i` on (of `m`, rows of `cols` values): 8, 4,
    /// 2 or 1. Eight rows only while their panel stays within `eightRowPanelBytes`: with
    /// down_proj's 1536 columns (a 48 KB panel, more than the 32 KB level-1 data cache) eight
    /// rows ran at 5.4 and two blocks of four at ~4.2 cycles per 32 weights per row.
    @inline(__always) static func blockSize(from i: Int, of m: Int, cols: Int) -> Int {
        let left = m &- i
        return left >= 8 && cols &* 32 <= eightRowPanelBytes ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1
    }

    /// The largest panel of eight activation rows (`8·cols·4` bytes) the kernel reads as one block.
    static let eightRowPanelBytes = 24_576

    /// The loop both bit widths share: weight rows `range` a tile of `FactorTile.rows` at a time
    /// (their factors converted once per tile, the adapter's memory prefetched across the tiles),
    /// each block of activation rows meeting the whole tile: one block's panel stays in L1 while
    /// the tile's rows (a few KB) are read again for the next block. `lanes(w, p, size, scales,
    /// bias)` is one weight row (its bytes at `w`) against the `size` rows of the block panel `p`.
    @inline(__always)
    static func forEachTile<S: QuantizationScale>(
        _ range: Range<Int>, _ o: Operands<S>, lowRank: LowRankAddition?, rowBytes: Int,
        _ lanes: (UnsafeRawPointer, UnsafeRawPointer, Int, UnsafeMutablePointer<Float>, BiasTerms) -> EightVectors
    ) {
        let tile = FactorTile(groups: o.groups)
        defer { tile.deallocate() }
        var first = range.lowerBound
        let tiles = (range.count &+ FactorTile.rows &- 1) / FactorTile.rows
        while first < range.upperBound {
            let count = Swift.min(FactorTile.rows, range.upperBound &- first)
            tile.load(o, first: first, count: count)
            lowRank?.prefetch(part: (first &- range.lowerBound) / FactorTile.rows, of: tiles, rows: range)
            var i = 0
            while i < o.m {
                let size = o.blockSize(from: i), p = o.block(at: i)
                for local in 0..<count {
                    let n = first &+ local
                    let t = lanes(UnsafeRawPointer(o.w.p + n &* rowBytes), p, size, tile.scales + local &* o.groups,
                                  o.bias(block: i, row: local, tile))
                    o.store(t, block: i, size: size, n)
                }
                i &+= size
            }
            first &+= count
        }
    }

    /// One unit's products with the 32 panel values at `p` (`q` in the same order), in two
    /// independent chains.
    @inline(__always)
    static func unitDot(_ q: FourVectors, _ p: UnsafeRawPointer) -> SIMD8<Float> {
        var first = q.0 * p.loadUnaligned(as: SIMD8<Float>.self)
        var second = q.1 * p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        first.addProduct(q.2, p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
        second.addProduct(q.3, p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
        return first + second
    }

    /// `acc += q · (the 32 panel values at p)`, one chain.
    @inline(__always)
    static func addUnit(_ acc: inout SIMD8<Float>, _ q: FourVectors, _ p: UnsafeRawPointer) {
        acc.addProduct(q.0, p.loadUnaligned(as: SIMD8<Float>.self))
        acc.addProduct(q.1, p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
        acc.addProduct(q.2, p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
        acc.addProduct(q.3, p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
    }

    /// Everything a range of output rows needs (pointers valid for the whole call).
    struct Operands<S: QuantizationScale>: @unchecked Sendable {
        /// The activation rows in the kernel's reading order (see ``QuantizedRowKernel``), `m` of them.
        let panel: SendPtr<Float>
        let m: Int
        let w: SendPtr<UInt8>
        let scales, biases: SendPtr<S>
        /// Per-group sums of each activation row, `paddedGroups` apart (zeros after `groups`).
        let sums: SendPtr<Float>
        let out: SendPtr<Float>
        let rows, cols, groupSize: Int
        /// Groups per row, and that rounded up to a multiple of 8.
        let groups, paddedGroups: Int

        /// `out[i, n]` = the sum of the lanes (activation row `i`, weight row `n`, bias term
        /// included).
        @inline(__always) func store(_ i: Int, _ n: Int, _ lanes: SIMD8<Float>) {
            out[i &* rows &+ n] = VectorMath.lanesSum(lanes)
        }

        /// The panel of the block of activation rows at `i`.
        @inline(__always) func block(at i: Int) -> UnsafeRawPointer { UnsafeRawPointer(panel.p + i &* cols) }

        /// The bias terms of the block of activation rows at `i` against row `local` of `tile`.
        @inline(__always) func bias(block i: Int, row local: Int, _ tile: FactorTile) -> BiasTerms {
            BiasTerms(biases: tile.biases + local &* groups, sums: sums.p + i &* paddedGroups, padded: paddedGroups)
        }

        /// Stores the first `size` outputs of a block for weight row `n`.
        @inline(__always) func store(_ t: EightVectors, block i: Int, size: Int, _ n: Int) {
            store(i, n, t.0)
            if size > 1 { store(i &+ 1, n, t.1) }
            if size > 2 { store(i &+ 2, n, t.2); store(i &+ 3, n, t.3) }
            if size > 4 { store(i &+ 4, n, t.4); store(i &+ 5, n, t.5); store(i &+ 6, n, t.6); store(i &+ 7, n, t.7) }
        }

        /// The block size for the activation rows from `i` on (see ``QuantizedRowKernel/blockSize(from:of:cols:)``).
        @inline(__always) func blockSize(from i: Int) -> Int { QuantizedRowKernel.blockSize(from: i, of: m, cols: cols) }

        /// log2 of the 32-weight units per group (groups are 32, 64 or 128 weights).
        var unitShift: Int { groupSize.trailingZeroBitCount &- 5 }
    }

    /// Partial sums for up to eight activation rows; each output is the sum of its lanes.
    typealias EightVectors = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>,
                              SIMD8<Float>, SIMD8<Float>)

    typealias FourVectors = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)

    @inline(__always)
    static func sum(_ p: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var k = 0
        while k &+ 8 <= count { acc += UnsafeRawPointer(p + k).loadUnaligned(as: SIMD8<Float>.self); k &+= 8 }
        var total = acc.sum()
        while k < count { total += p[k]; k &+= 1 }
        return total
    }
}
