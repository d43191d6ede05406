/// The decoding kernel of `QuantizedMatmul`: a few activation rows `x [m, cols]` against an
/// affine-quantized matrix `W [rows, cols]` (`w = scale·q + bias` per group), read once
/// straight from its packed words, parallel over output features:
///
///     out[i, n] = Σ_g scale[n, g]·(x_g · q_g) + bias[n, g]·Σ x_g
///
/// Packed bytes widen to 32-bit lanes (`vpmovzxbd`), convert to floats and meet `x` in fused
/// multiply-adds, 8 lanes at a time. In the 4-bit packing byte `j` holds values `2j` (low
/// nibble) and `2j + 1` (high nibble), so `x` is first split into its even and odd elements:
/// the low nibbles of 8 bytes then dot with 8 consecutive even elements. Several activation rows
/// run in blocks of eight and four, each converted weight group meeting every row of the
/// block.
enum QuantizedRowKernel {
    static func run<S: QuantizationScale>(_ x: UnsafeMutablePointer<Float>, m: Int, _ w: UnsafeMutablePointer<UInt32>,
                                          _ s: UnsafeMutablePointer<S>, _ b: UnsafeMutablePointer<S>,
                                          rows: Int, cols: Int, bits: Int, groupSize: Int, lowRank: LowRankAddition? = nil,
                                          _ out: UnsafeMutablePointer<Float>) {
        let groups = cols / groupSize
        // Per-group sums of x (for the bias term) and, for 4 bits, x as [evens | odds] per row.
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: m * groups)
        let split = UnsafeMutablePointer<Float>.allocate(capacity: bits == 4 ? m * cols : 0)
        defer { sums.deallocate(); split.deallocate() }
        for i in 0..<m {
            let row = x + i * cols
            for g in 0..<groups { sums[i * groups + g] = sum(row + g * groupSize, count: groupSize) }
            if bits == 4 {
                let half = cols / 2, even = split + i * cols, odd = even + half
                for j in 0..<half { even[j] = row[2 * j]; odd[j] = row[2 * j + 1] }
            }
        }
        let operands = Operands(x: SendPtr(bits == 4 ? split : x), m: m,
                                w: SendPtr(UnsafeMutableRawPointer(w).assumingMemoryBound(to: UInt8.self)),
                                scales: SendPtr(s), biases: SendPtr(b), sums: SendPtr(sums), out: SendPtr(out),
                                rows: rows, cols: cols, groupSize: groupSize, lowRank: lowRank)
        Parallel.forEach(rows, costPerItem: cols * m) { range in
            if bits == 4 { fourBitRows(range, operands) } else { eightBitRows(range, operands) }
        }
    }

    /// A low-rank term added to each output as it is written (a LoRA adapter fused into the
    /// kernel): `out[i, n] = (x_i·W_n + B[n, :]·t[i, :])·factor[n]`, with `t [m, rank]` computed
    /// beforehand (`scale·A·x_i`).
    struct LowRankAddition: @unchecked Sendable {
        /// `B [rows, rank]`.
        let b: SendPtr<Float>
        /// `t [m, rank]`.
        let t: SendPtr<Float>
        let rank: Int
        /// Per-output factors `[rows]` (DoRA), or nil.
        let factor: SendPtr<Float>?
    }

    /// Everything a range of output rows needs (pointers valid for the whole call).
    struct Operands<S: QuantizationScale>: @unchecked Sendable {
        /// Activation rows (for 4 bits split into evens and odds), `m` of them.
        let x: SendPtr<Float>
        let m: Int
        let w: SendPtr<UInt8>
        let scales, biases: SendPtr<S>
        /// Per-group sums of each activation row.
        let sums: SendPtr<Float>
        let out: SendPtr<Float>
        let rows, cols, groupSize: Int
        let lowRank: LowRankAddition?
        var groups: Int { cols / groupSize }

        /// `out[i, n] = total + bias term` (and the low-rank term) for activation row `i` and
        /// weight row `n`.
        @inline(__always) func store(_ i: Int, _ n: Int, _ total: Float) {
            var value = total + QuantizedRowKernel.dot(biases.p + n &* groups, sums.p + i &* groups, count: groups)
            if let l = lowRank {
                value += QuantizedRowKernel.dot(l.b.p + n &* l.rank, l.t.p + i &* l.rank, count: l.rank)
                if let f = l.factor { value *= f[n] }
            }
            out[i &* rows &+ n] = value
        }

        /// The activation rows `i..<i+size` (4 or 8) as the two groups of four a block reads.
        @inline(__always) func block(at i: Int, size: Int) -> (FourRows, FourRows) {
            let r = x.p + i &* cols
            let lo = (r, r + cols, r + 2 &* cols, r + 3 &* cols)
            return (lo, size > 4 ? (r + 4 &* cols, r + 5 &* cols, r + 6 &* cols, r + 7 &* cols) : lo)
        }

        /// Stores a block's sums for weight row `n`.
        @inline(__always) func store(_ t: EightSums, block i: Int, size: Int, _ n: Int) {
            store(i, n, t.0); store(i &+ 1, n, t.1); store(i &+ 2, n, t.2); store(i &+ 3, n, t.3)
            if size > 4 { store(i &+ 4, n, t.4); store(i &+ 5, n, t.5); store(i &+ 6, n, t.6); store(i &+ 7, n, t.7) }
        }

        /// The block size for the activation rows from `i` on: 8, 4, or 1 (a single row; blocks of
        /// two measured slower than two single rows: 92 vs 117 tok/s at batch 2).
        @inline(__always) func blockSize(from i: Int) -> Int { m &- i >= 8 ? 8 : m &- i >= 4 ? 4 : 1 }
    }

    /// Weight rows `range` of a 4-bit matrix, one at a time (interleaving four weight rows to
    /// share loads of x was 8% slower in real decoding, though faster in isolation); activation
    /// rows in blocks of eight, then four, each converted weight group meeting every row
    /// of the block. (Separate functions per bit width keep each small enough that every SIMD
    /// load inlines.)
    @inline(never)
    static func fourBitRows<S: QuantizationScale>(_ range: Range<Int>, _ o: Operands<S>) {
        let rowBytes = o.cols / 2, groups = o.groups, half = o.cols / 2
        for n in range {
            let wr = UnsafeRawPointer(o.w.p + n &* rowBytes), sr = o.scales.p + n &* groups
            var i = 0
            while i < o.m {
                let size = o.blockSize(from: i)
                if size == 1 {
                    let xr = o.x.p + i &* o.cols
                    o.store(i, n, dot4(wr, even: xr, odd: xr + half, scales: sr, groups: groups, groupSize: o.groupSize))
                } else {
                    let (lo, hi) = o.block(at: i, size: size)
                    // A literal count per call, so each inlined copy keeps only its accumulators.
                    let t = size == 8 ? block4(wr, lo, hi, count: 8, cols: o.cols, scales: sr, groups: groups, groupSize: o.groupSize)
                        : block4(wr, lo, hi, count: 4, cols: o.cols, scales: sr, groups: groups, groupSize: o.groupSize)
                    o.store(t, block: i, size: size, n)
                }
                i &+= size
            }
        }
    }

    /// Weight rows `range` of an 8-bit matrix, as ``fourBitRows(_:_:)`` (interleaving four
    /// weight rows halved the speed on matrices streamed from memory).
    @inline(never)
    static func eightBitRows<S: QuantizationScale>(_ range: Range<Int>, _ o: Operands<S>) {
        let rowBytes = o.cols, groups = o.groups
        for n in range {
            let wr = UnsafeRawPointer(o.w.p + n &* rowBytes), sr = o.scales.p + n &* groups
            var i = 0
            while i < o.m {
                let size = o.blockSize(from: i)
                if size == 1 {
                    o.store(i, n, dot8(wr, o.x.p + i &* o.cols, scales: sr, groups: groups, groupSize: o.groupSize))
                } else {
                    let (lo, hi) = o.block(at: i, size: size)
                    let t = size == 8 ? block8(wr, lo, hi, count: 8, scales: sr, groups: groups, groupSize: o.groupSize)
                        : block8(wr, lo, hi, count: 4, scales: sr, groups: groups, groupSize: o.groupSize)
                    o.store(t, block: i, size: size, n)
                }
                i &+= size
            }
        }
    }

    typealias FourRows = (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                          UnsafeMutablePointer<Float>)
    typealias EightSums = (Float, Float, Float, Float, Float, Float, Float, Float)

    /// ``dot4(_:even:odd:scales:groups:groupSize:)`` for a block of split rows of x at once: the
    /// first `count` (4 or 8; a literal at every call site) of the rows `lo` then `hi`.
    @inline(__always)
    static func block4<S: QuantizationScale>(_ w: UnsafeRawPointer, _ lo: FourRows, _ hi: FourRows, count: Int, cols: Int,
                       scales: UnsafeMutablePointer<S>, groups: Int, groupSize: Int) -> EightSums {
        let low = SIMD8<Int32>(repeating: 0xF), half = cols / 2, steps = groupSize / 32
        var a0 = SIMD8<Float>(repeating: 0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
        @inline(__always) func add(_ acc: inout SIMD8<Float>, _ row: UnsafeMutablePointer<Float>, _ offset: Int,
                                   _ w0: SIMD8<Float>, _ w1: SIMD8<Float>, _ w2: SIMD8<Float>, _ w3: SIMD8<Float>) {
            let e = UnsafeRawPointer(row + offset), o = UnsafeRawPointer(row + (half &+ offset))
            acc.addProduct(w0, e.loadUnaligned(as: SIMD8<Float>.self))
            acc.addProduct(w1, o.loadUnaligned(as: SIMD8<Float>.self))
            acc.addProduct(w2, e.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
            acc.addProduct(w3, o.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
        }
        var offset = 0
        for g in 0..<groups {
            let scale = SIMD8<Float>(repeating: scales[g].float)
            for _ in 0..<steps {
                let b0 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt8>.self))
                let b1 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset &+ 8, as: SIMD8<UInt8>.self))
                let w0 = SIMD8<Float>(b0 & low) * scale, w1 = SIMD8<Float>(b0 &>> 4) * scale
                let w2 = SIMD8<Float>(b1 & low) * scale, w3 = SIMD8<Float>(b1 &>> 4) * scale
                add(&a0, lo.0, offset, w0, w1, w2, w3)
                add(&a1, lo.1, offset, w0, w1, w2, w3)
                add(&a2, lo.2, offset, w0, w1, w2, w3)
                add(&a3, lo.3, offset, w0, w1, w2, w3)
                if count > 4 {
                    add(&a4, hi.0, offset, w0, w1, w2, w3)
                    add(&a5, hi.1, offset, w0, w1, w2, w3)
                    add(&a6, hi.2, offset, w0, w1, w2, w3)
                    add(&a7, hi.3, offset, w0, w1, w2, w3)
                }
                offset &+= 16
            }
        }
        return (a0.sum(), a1.sum(), a2.sum(), a3.sum(), a4.sum(), a5.sum(), a6.sum(), a7.sum())
    }

    /// ``dot8(_:_:scales:groups:groupSize:)`` for a block of rows of x at once (as ``block4``).
    @inline(__always)
    static func block8<S: QuantizationScale>(_ w: UnsafeRawPointer, _ lo: FourRows, _ hi: FourRows, count: Int,
                       scales: UnsafeMutablePointer<S>, groups: Int, groupSize: Int) -> EightSums {
        let steps = groupSize / 16
        var a0 = SIMD8<Float>(repeating: 0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
        @inline(__always) func add(_ acc: inout SIMD8<Float>, _ row: UnsafeMutablePointer<Float>, _ offset: Int,
                                   _ w0: SIMD8<Float>, _ w1: SIMD8<Float>) {
            let p = UnsafeRawPointer(row + offset)
            acc.addProduct(w0, p.loadUnaligned(as: SIMD8<Float>.self))
            acc.addProduct(w1, p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
        }
        var offset = 0
        for g in 0..<groups {
            let scale = SIMD8<Float>(repeating: scales[g].float)
            for _ in 0..<steps {
                let w0 = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt8>.self))) * scale
                let w1 = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset &+ 8, as: SIMD8<UInt8>.self))) * scale
                add(&a0, lo.0, offset, w0, w1)
                add(&a1, lo.1, offset, w0, w1)
                add(&a2, lo.2, offset, w0, w1)
                add(&a3, lo.3, offset, w0, w1)
                if count > 4 {
                    add(&a4, hi.0, offset, w0, w1)
                    add(&a5, hi.1, offset, w0, w1)
                    add(&a6, hi.2, offset, w0, w1)
                    add(&a7, hi.3, offset, w0, w1)
                }
                offset &+= 16
            }
        }
        return (a0.sum(), a1.sum(), a2.sum(), a3.sum(), a4.sum(), a5.sum(), a6.sum(), a7.sum())
    }

    /// Σ_g scale_g·(x_g · q_g) over one 4-bit row: 16 bytes (32 values) per step.
    @inline(__always)
    static func dot4<S: QuantizationScale>(_ w: UnsafeRawPointer, even: UnsafeMutablePointer<Float>, odd: UnsafeMutablePointer<Float>,
                     scales: UnsafeMutablePointer<S>, groups: Int, groupSize: Int) -> Float {
        let low = SIMD8<Int32>(repeating: 0xF)
        let steps = groupSize / 32
        var acc = SIMD8<Float>(repeating: 0)
        var offset = 0  // byte offset into w; the even/odd halves advance 16 floats per step
        for g in 0..<groups {
            var d = SIMD8<Float>(repeating: 0)
            for _ in 0..<steps {
                let b0 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt8>.self))
                let b1 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset &+ 8, as: SIMD8<UInt8>.self))
                let e = UnsafeRawPointer(even + offset), o = UnsafeRawPointer(odd + offset)
                d.addProduct(SIMD8<Float>(b0 & low), e.loadUnaligned(as: SIMD8<Float>.self))
                d.addProduct(SIMD8<Float>(b0 &>> 4), o.loadUnaligned(as: SIMD8<Float>.self))
                d.addProduct(SIMD8<Float>(b1 & low), e.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                d.addProduct(SIMD8<Float>(b1 &>> 4), o.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                offset &+= 16
            }
            acc.addProduct(d, SIMD8<Float>(repeating: scales[g].float))
        }
        return acc.sum()
    }

    /// Σ_g scale_g·(x_g · q_g) over one 8-bit row: 16 bytes (16 values) per step.
    @inline(__always)
    static func dot8<S: QuantizationScale>(_ w: UnsafeRawPointer, _ x: UnsafeMutablePointer<Float>, scales: UnsafeMutablePointer<S>,
                     groups: Int, groupSize: Int) -> Float {
        let steps = groupSize / 16
        var acc = SIMD8<Float>(repeating: 0)
        var offset = 0
        for g in 0..<groups {
            var d0 = SIMD8<Float>(repeating: 0), d1 = SIMD8<Float>(repeating: 0)
            for _ in 0..<steps {
                let q0 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt8>.self))
                let q1 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset &+ 8, as: SIMD8<UInt8>.self))
                let xp = UnsafeRawPointer(x + offset)
                d0.addProduct(SIMD8<Float>(q0), xp.loadUnaligned(as: SIMD8<Float>.self))
                d1.addProduct(SIMD8<Float>(q1), xp.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                offset &+= 16
            }
            acc.addProduct(d0 + d1, SIMD8<Float>(repeating: scales[g].float))
        }
        return acc.sum()
    }

    @inline(__always)
    static func sum(_ p: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var k = 0
        while k &+ 8 <= count { acc += UnsafeRawPointer(p + k).loadUnaligned(as: SIMD8<Float>.self); k &+= 8 }
        var total = acc.sum()
        while k < count { total += p[k]; k &+= 1 }
        return total
    }

    /// Σ a[k]·b[k] (the bias term: group biases against group sums of x).
    @inline(__always)
    static func dot<S: QuantizationScale>(_ a: UnsafeMutablePointer<S>, _ b: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var k = 0
        while k &+ 8 <= count {
            let lanes = S.self == Float.self
                ? UnsafeRawPointer(a + k).loadUnaligned(as: SIMD8<Float>.self)
                : SIMD8<Float>(UnsafeRawPointer(a + k).loadUnaligned(as: SIMD8<Float16>.self))
            acc.addProduct(lanes, UnsafeRawPointer(b + k).loadUnaligned(as: SIMD8<Float>.self))
            k &+= 8
        }
        var total = acc.sum()
        while k < count { total += a[k].float * b[k]; k &+= 1 }
        return total
    }
}
