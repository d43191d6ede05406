/// The decoding kernel of `QuantizedMatmul`: a few activation rows `x [m, cols]` against an
/// affine-quantized matrix `W [rows, cols]` (`w = scale·q + bias` per group), read once
/// straight from its packed words, parallel over output features:
///
///     out[i, n] = Σ_g scale[n, g]·(x_g · q_g) + bias[n, g]·Σ x_g
///
/// Packed bytes widen to 32-bit lanes (`vpmovzxbd`), convert to floats and meet `x` in fused
/// multiply-adds, 8 lanes at a time. In the 4-bit packing byte `j` holds values `2j` (low
/// nibble) and `2j + 1` (high nibble), so `x` is first split into its even and odd elements:
/// the low nibbles of 8 bytes then dot with 8 consecutive even elements. One activation row
/// runs four weight rows at a time (shared loads of x, independent sums); several rows run in
/// blocks of eight, four and two, each converted weight group meeting every row of the block.
enum QuantizedRowKernel {
    static func run(_ x: UnsafeMutablePointer<Float>, m: Int, _ w: UnsafeMutablePointer<UInt32>,
                    _ s: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>,
                    rows: Int, cols: Int, bits: Int, groupSize: Int, _ out: UnsafeMutablePointer<Float>) {
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
        let rowBytes = cols * bits / 8
        let ws = SendPtr(UnsafeMutableRawPointer(w).assumingMemoryBound(to: UInt8.self))
        let xs = SendPtr(bits == 4 ? split : x), ss = SendPtr(s), bs = SendPtr(b), os = SendPtr(out), gs = SendPtr(sums)
        Parallel.forEach(rows, costPerItem: cols * m) { range in
            var n = range.lowerBound
            // One activation row: four weight rows at a time share each load of x.
            if m == 1 {
                while n &+ 4 <= range.upperBound {
                    let wr = UnsafeRawPointer(ws.p + n &* rowBytes), sr = ss.p + n &* groups
                    let t = bits == 4
                        ? quad4(wr, rowBytes: rowBytes, even: xs.p, odd: xs.p + cols / 2, scales: sr, groups: groups,
                                groupSize: groupSize)
                        : quad8(wr, rowBytes: rowBytes, xs.p, scales: sr, groups: groups, groupSize: groupSize)
                    os[n] = t.0 + dot(bs.p + n &* groups, gs.p, count: groups)
                    os[n &+ 1] = t.1 + dot(bs.p + (n &+ 1) &* groups, gs.p, count: groups)
                    os[n &+ 2] = t.2 + dot(bs.p + (n &+ 2) &* groups, gs.p, count: groups)
                    os[n &+ 3] = t.3 + dot(bs.p + (n &+ 3) &* groups, gs.p, count: groups)
                    n &+= 4
                }
            }
            while n < range.upperBound {
                let wr = UnsafeRawPointer(ws.p + n &* rowBytes), sr = ss.p + n &* groups, br = bs.p + n &* groups
                @inline(__always) func store(_ i: Int, _ total: Float) {
                    os[i &* rows &+ n] = total + dot(br, gs.p + i &* groups, count: groups)
                }
                var i = 0
                // Blocks of eight, four, then two activation rows: each weight group is converted
                // once and meets every row of the block (`size` is a constant at each call).
                @inline(__always) func blocks(of size: Int) {
                    while i &+ size <= m {
                        @inline(__always) func x(_ k: Int) -> UnsafeMutablePointer<Float> { xs.p + (i &+ (k < size ? k : 0)) &* cols }
                        let lo = (x(0), x(1), x(2), x(3)), hi = (x(4), x(5), x(6), x(7))
                        let t = bits == 4
                            ? block4(wr, lo, hi, count: size, cols: cols, scales: sr, groups: groups, groupSize: groupSize)
                            : block8(wr, lo, hi, count: size, scales: sr, groups: groups, groupSize: groupSize)
                        store(i, t.0); store(i &+ 1, t.1)
                        if size > 2 { store(i &+ 2, t.2); store(i &+ 3, t.3) }
                        if size > 4 { store(i &+ 4, t.4); store(i &+ 5, t.5); store(i &+ 6, t.6); store(i &+ 7, t.7) }
                        i &+= size
                    }
                }
                blocks(of: 8)
                blocks(of: 4)
                blocks(of: 2)
                while i < m {
                    let xr = xs.p + i &* cols
                    store(i, bits == 4
                        ? dot4(wr, even: xr, odd: xr + cols / 2, scales: sr, groups: groups, groupSize: groupSize)
                        : dot8(wr, xr, scales: sr, groups: groups, groupSize: groupSize))
                    i &+= 1
                }
                n &+= 1
            }
        }
    }

    typealias FourRows = (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                          UnsafeMutablePointer<Float>)
    typealias EightSums = (Float, Float, Float, Float, Float, Float, Float, Float)

    /// ``dot4(_:even:odd:scales:groups:groupSize:)`` for a block of split rows of x at once: the
    /// first `count` (2, 4 or 8; a constant at every call site) of the rows `lo` then `hi`.
    @inline(__always)
    static func block4(_ w: UnsafeRawPointer, _ lo: FourRows, _ hi: FourRows, count: Int, cols: Int,
                       scales: UnsafeMutablePointer<Float>, groups: Int, groupSize: Int) -> EightSums {
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
            let scale = SIMD8<Float>(repeating: scales[g])
            for _ in 0..<steps {
                let b0 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt8>.self))
                let b1 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset &+ 8, as: SIMD8<UInt8>.self))
                let w0 = SIMD8<Float>(b0 & low) * scale, w1 = SIMD8<Float>(b0 &>> 4) * scale
                let w2 = SIMD8<Float>(b1 & low) * scale, w3 = SIMD8<Float>(b1 &>> 4) * scale
                add(&a0, lo.0, offset, w0, w1, w2, w3)
                add(&a1, lo.1, offset, w0, w1, w2, w3)
                if count > 2 {
                    add(&a2, lo.2, offset, w0, w1, w2, w3)
                    add(&a3, lo.3, offset, w0, w1, w2, w3)
                }
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
    static func block8(_ w: UnsafeRawPointer, _ lo: FourRows, _ hi: FourRows, count: Int,
                       scales: UnsafeMutablePointer<Float>, groups: Int, groupSize: Int) -> EightSums {
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
            let scale = SIMD8<Float>(repeating: scales[g])
            for _ in 0..<steps {
                let w0 = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt8>.self))) * scale
                let w1 = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset &+ 8, as: SIMD8<UInt8>.self))) * scale
                add(&a0, lo.0, offset, w0, w1)
                add(&a1, lo.1, offset, w0, w1)
                if count > 2 {
                    add(&a2, lo.2, offset, w0, w1)
                    add(&a3, lo.3, offset, w0, w1)
                }
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

    typealias FourSums = (Float, Float, Float, Float)

    /// ``dot4(_:even:odd:scales:groups:groupSize:)`` for four consecutive weight rows (from `w`,
    /// `rowBytes` apart; scales `groups` apart) against one split row of x: each load of x
    /// serves all four, and the four running sums are independent chains.
    @inline(__always)
    static func quad4(_ w: UnsafeRawPointer, rowBytes: Int, even: UnsafeMutablePointer<Float>,
                      odd: UnsafeMutablePointer<Float>, scales: UnsafeMutablePointer<Float>,
                      groups: Int, groupSize: Int) -> FourSums {
        let low = SIMD8<Int32>(repeating: 0xF), steps = groupSize / 32
        @inline(__always) func partial(_ row: Int, _ offset: Int, _ x0: SIMD8<Float>, _ x1: SIMD8<Float>,
                                       _ x2: SIMD8<Float>, _ x3: SIMD8<Float>) -> SIMD8<Float> {
            let at = row &* rowBytes &+ offset
            let b0 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: at, as: SIMD8<UInt8>.self))
            let b1 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: at &+ 8, as: SIMD8<UInt8>.self))
            var d0 = SIMD8<Float>(b0 & low) * x0, d1 = SIMD8<Float>(b0 &>> 4) * x1
            d0.addProduct(SIMD8<Float>(b1 & low), x2)
            d1.addProduct(SIMD8<Float>(b1 &>> 4), x3)
            return d0 + d1
        }
        var a0 = SIMD8<Float>(repeating: 0), a1 = a0, a2 = a0, a3 = a0
        var offset = 0
        for g in 0..<groups {
            var d0 = SIMD8<Float>(repeating: 0), d1 = d0, d2 = d0, d3 = d0
            for _ in 0..<steps {
                let e = UnsafeRawPointer(even + offset), o = UnsafeRawPointer(odd + offset)
                let x0 = e.loadUnaligned(as: SIMD8<Float>.self), x1 = o.loadUnaligned(as: SIMD8<Float>.self)
                let x2 = e.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                let x3 = o.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                d0 += partial(0, offset, x0, x1, x2, x3)
                d1 += partial(1, offset, x0, x1, x2, x3)
                d2 += partial(2, offset, x0, x1, x2, x3)
                d3 += partial(3, offset, x0, x1, x2, x3)
                offset &+= 16
            }
            a0.addProduct(d0, SIMD8<Float>(repeating: scales[g]))
            a1.addProduct(d1, SIMD8<Float>(repeating: scales[groups &+ g]))
            a2.addProduct(d2, SIMD8<Float>(repeating: scales[2 &* groups &+ g]))
            a3.addProduct(d3, SIMD8<Float>(repeating: scales[3 &* groups &+ g]))
        }
        return (a0.sum(), a1.sum(), a2.sum(), a3.sum())
    }

    /// ``dot8(_:_:scales:groups:groupSize:)`` for four consecutive weight rows (as ``quad4``).
    @inline(__always)
    static func quad8(_ w: UnsafeRawPointer, rowBytes: Int, _ x: UnsafeMutablePointer<Float>,
                      scales: UnsafeMutablePointer<Float>, groups: Int, groupSize: Int) -> FourSums {
        let steps = groupSize / 16
        @inline(__always) func partial(_ row: Int, _ offset: Int, _ x0: SIMD8<Float>, _ x1: SIMD8<Float>) -> SIMD8<Float> {
            let at = row &* rowBytes &+ offset
            let q0 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: at, as: SIMD8<UInt8>.self))
            let q1 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: at &+ 8, as: SIMD8<UInt8>.self))
            var d = SIMD8<Float>(q0) * x0
            d.addProduct(SIMD8<Float>(q1), x1)
            return d
        }
        var a0 = SIMD8<Float>(repeating: 0), a1 = a0, a2 = a0, a3 = a0
        var offset = 0
        for g in 0..<groups {
            var d0 = SIMD8<Float>(repeating: 0), d1 = d0, d2 = d0, d3 = d0
            for _ in 0..<steps {
                let p = UnsafeRawPointer(x + offset)
                let x0 = p.loadUnaligned(as: SIMD8<Float>.self), x1 = p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                d0 += partial(0, offset, x0, x1)
                d1 += partial(1, offset, x0, x1)
                d2 += partial(2, offset, x0, x1)
                d3 += partial(3, offset, x0, x1)
                offset &+= 16
            }
            a0.addProduct(d0, SIMD8<Float>(repeating: scales[g]))
            a1.addProduct(d1, SIMD8<Float>(repeating: scales[groups &+ g]))
            a2.addProduct(d2, SIMD8<Float>(repeating: scales[2 &* groups &+ g]))
            a3.addProduct(d3, SIMD8<Float>(repeating: scales[3 &* groups &+ g]))
        }
        return (a0.sum(), a1.sum(), a2.sum(), a3.sum())
    }

    /// Σ_g scale_g·(x_g · q_g) over one 4-bit row: 16 bytes (32 values) per step.
    @inline(__always)
    static func dot4(_ w: UnsafeRawPointer, even: UnsafeMutablePointer<Float>, odd: UnsafeMutablePointer<Float>,
                     scales: UnsafeMutablePointer<Float>, groups: Int, groupSize: Int) -> Float {
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
            acc.addProduct(d, SIMD8<Float>(repeating: scales[g]))
        }
        return acc.sum()
    }

    /// Σ_g scale_g·(x_g · q_g) over one 8-bit row: 16 bytes (16 values) per step.
    @inline(__always)
    static func dot8(_ w: UnsafeRawPointer, _ x: UnsafeMutablePointer<Float>, scales: UnsafeMutablePointer<Float>,
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
            acc.addProduct(d0 + d1, SIMD8<Float>(repeating: scales[g]))
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
    static func dot(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var k = 0
        while k &+ 8 <= count {
            acc.addProduct(UnsafeRawPointer(a + k).loadUnaligned(as: SIMD8<Float>.self),
                           UnsafeRawPointer(b + k).loadUnaligned(as: SIMD8<Float>.self))
            k &+= 8
        }
        var total = acc.sum()
        while k < count { total += a[k] * b[k]; k &+= 1 }
        return total
    }
}
