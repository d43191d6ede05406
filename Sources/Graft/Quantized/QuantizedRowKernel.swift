/// The decoding kernel of `QuantizedMatmul`: a few activation rows `x [m, cols]` against an
/// affine-quantized matrix `W [rows, cols]` (`w = scale·q + bias` per group), read once
/// straight from its packed words, parallel over output features:
///
///     out[i, n] = Σ_g scale[n, g]·(x_g · q_g) + bias[n, g]·Σ x_g
///
/// Packed bytes widen to 32-bit lanes (`vpmovzxbd`), convert to floats and meet `x` in fused
/// multiply-adds, 8 lanes at a time, in units of 32 weights. In the 4-bit packing byte `j` holds
/// values `2j` (low nibble) and `2j + 1` (high nibble), so `x` is first split into its even and
/// odd elements: the low nibbles of 8 bytes then dot with 8 consecutive even elements.
/// Activation rows run in blocks of eight, four, two or one, each converted unit of weights
/// meeting every row of the block (the per-bit-width loops are in `FourBitRowKernel.swift` and
/// `EightBitRowKernel.swift`).
enum QuantizedRowKernel {
    static func run<S: QuantizationScale>(_ x: UnsafeMutablePointer<Float>, m: Int, _ w: UnsafeMutablePointer<UInt32>,
                                          _ s: UnsafeMutablePointer<S>, _ b: UnsafeMutablePointer<S>,
                                          rows: Int, cols: Int, bits: Int, groupSize: Int, lowRank: LowRankAddition? = nil,
                                          _ out: UnsafeMutablePointer<Float>) {
        let groups = cols / groupSize, padded = (groups &+ 7) & ~7
        // Per-group sums of x (for the bias term; zero past the last group, up to a multiple of
        // 8) and, for 4 bits, x as [evens | odds] per row.
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: m * padded)
        let split = UnsafeMutablePointer<Float>.allocate(capacity: bits == 4 ? m * cols : 0)
        defer { sums.deallocate(); split.deallocate() }
        for i in 0..<m {
            let row = x + i * cols
            for g in 0..<padded { sums[i * padded + g] = g < groups ? sum(row + g * groupSize, count: groupSize) : 0 }
            if bits == 4 {
                let half = cols / 2, even = split + i * cols, odd = even + half
                for j in 0..<half { even[j] = row[2 * j]; odd[j] = row[2 * j + 1] }
            }
        }
        let operands = Operands(x: SendPtr(bits == 4 ? split : x), m: m,
                                w: SendPtr(UnsafeMutableRawPointer(w).assumingMemoryBound(to: UInt8.self)),
                                scales: SendPtr(s), biases: SendPtr(b), sums: SendPtr(sums), out: SendPtr(out),
                                rows: rows, cols: cols, groupSize: groupSize, groups: groups, paddedGroups: padded)
        Parallel.forEach(rows, costPerItem: cols * m) { range in
            // The base kernel, then the adapter's terms on the same outputs (a fused LoRA).
            if bits == 4 { fourBitRows(range, operands) } else { eightBitRows(range, operands) }
            lowRank?.add(x, m: m, rows: range, of: rows, to: out)
        }
    }

    /// Everything a range of output rows needs (pointers valid for the whole call).
    struct Operands<S: QuantizationScale>: @unchecked Sendable {
        /// Activation rows (for 4 bits split into evens and odds), `m` of them.
        let x: SendPtr<Float>
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

        /// The activation rows `i..<i+size` as the two groups of four a block reads (rows past
        /// the block repeat its first row and are never read).
        @inline(__always) func block(at i: Int, size: Int) -> (FourRows, FourRows) {
            let r = x.p + i &* cols
            @inline(__always) func row(_ k: Int) -> UnsafeMutablePointer<Float> { k < size ? r + k &* cols : r }
            return ((row(0), row(1), row(2), row(3)), (row(4), row(5), row(6), row(7)))
        }

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

        /// The block size for the activation rows from `i` on: 8, 4, 2 or 1.
        @inline(__always) func blockSize(from i: Int) -> Int { m &- i >= 8 ? 8 : m &- i >= 4 ? 4 : m &- i >= 2 ? 2 : 1 }

        /// log2 of the 32-weight units per group (groups are 32, 64 or 128 weights).
        var unitShift: Int { groupSize.trailingZeroBitCount &- 5 }
    }

    typealias FourRows = (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                          UnsafeMutablePointer<Float>)
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
