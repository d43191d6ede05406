/// Fast float32 math for elementwise kernels, written as branch-free scalar code that LLVM
/// vectorises inside contiguous loops.
///
/// `exp` uses the range reduction x = n·ln2 + r, |r| ≤ ln2/2, a degree-6 polynomial for e^r
/// (the Cephes expf coefficients) and 2^n built directly in the exponent bits (n obtained by
/// the 1.5·2²³ rounding trick): within 2 ulp over the normal range; above 88.72 gives +inf,
/// results below the smallest normal flush to 0, NaN stays NaN.
enum VectorMath {
    @inline(__always) static func exp(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -87.336), 88.722)
        // Written as explicit fused multiply-adds: Swift never contracts `a * b + c` itself.
        let shifted = Float(12_582_912).addingProduct(clamped, 1.442_695_040_888_963_4)  // 1.5·2²³: rounds to an integer
        let n = shifted - 12_582_912
        var r = clamped.addingProduct(n, -0.693_359_375)
        r = r.addingProduct(n, 2.121_944_400_546_905_8e-4)
        var p: Float = 1.987_569_150_0e-4
        p = Float(1.398_199_950_7e-3).addingProduct(p, r)
        p = Float(8.333_451_907_3e-3).addingProduct(p, r)
        p = Float(4.166_579_589_4e-2).addingProduct(p, r)
        p = Float(1.666_666_545_9e-1).addingProduct(p, r)
        p = Float(5.000_000_120_1e-1).addingProduct(p, r)
        let y = (r + 1).addingProduct(p, r * r)
        // 2^n in the exponent bits; n = 128 (x near the top of the range) is built as 2^127·2.
        let top: UInt32 = n > 127.5 ? 1 : 0
        let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127 &- top) &<< 23)
        var result = y * scale * (top == 1 ? 2 : 1)
        result = x > 88.722 ? .infinity : result
        result = x < -87.336 ? 0 : result
        return x != x ? x : result
    }

    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
    @inline(__always) static func silu(_ x: Float) -> Float { x / (1 + exp(-x)) }

    /// The sum of 8 lanes, added pairwise (three vector adds; `SIMD8.sum()` adds the lanes one
    /// after another, seven dependent scalar adds).
    @inline(__always) static func lanesSum(_ v: SIMD8<Float>) -> Float {
        let four = v.lowHalf + v.highHalf, two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// `Σ x[i]·y[i]`, 8 lanes at a time in four independent chains (one stream through each
    /// operand), the lanes added pairwise.
    @inline(__always) static func dot(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) -> Float {
        @inline(__always) func lanes(_ p: UnsafeMutablePointer<Float>, _ at: Int) -> SIMD8<Float> {
            UnsafeRawPointer(p + at).loadUnaligned(as: SIMD8<Float>.self)
        }
        var s0 = SIMD8<Float>(repeating: 0), s1 = s0, s2 = s0, s3 = s0
        var i = 0
        while i &+ 32 <= count {
            s0.addProduct(lanes(x, i), lanes(y, i)); s1.addProduct(lanes(x, i &+ 8), lanes(y, i &+ 8))
            s2.addProduct(lanes(x, i &+ 16), lanes(y, i &+ 16)); s3.addProduct(lanes(x, i &+ 24), lanes(y, i &+ 24))
            i &+= 32
        }
        while i &+ 8 <= count { s0.addProduct(lanes(x, i), lanes(y, i)); i &+= 8 }
        var total = lanesSum((s0 + s1) + (s2 + s3))
        while i < count { total = total.addingProduct(x[i], y[i]); i &+= 1 }
        return total
    }

    /// The largest of `count` values (−∞ for none; a NaN among them may or may not win).
    @inline(__always) static func maximum(_ x: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i &+ 8 <= count {
            let values = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            lanes = lanes.replacing(with: values, where: values .> lanes)
            i &+= 8
        }
        var m = lanes.max()
        while i < count { m = Swift.max(m, x[i]); i &+= 1 }
        return m
    }

    /// Σ exp(x[i] − shift) in float64: exponentials a tile at a time (a loop LLVM vectorises),
    /// each tile summed as ``sum(_:count:)`` sums.
    @inline(__always) static func sumOfExponentials(_ x: UnsafeMutablePointer<Float>, minus shift: Float, count: Int) -> Double {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 512) { tile in
            let t = tile.baseAddress!
            var lanes = SIMD8<Double>(repeating: 0)
            var total = 0.0
            var start = 0
            while start < count {
                let n = Swift.min(512, count &- start)
                for j in 0..<n { t[j] = exp(x[start &+ j] - shift) }
                accumulate(t, count: n, into: &lanes, &total)
                start &+= n
            }
            return total + lanes.sum()
        }
    }

    /// Σ x[i] in float64, 8 lanes wide (the same sum as ``sumOfExponentials(_:minus:count:)``
    /// makes of the exponentials).
    @inline(__always) static func sum(_ x: UnsafeMutablePointer<Float>, count: Int) -> Double {
        var lanes = SIMD8<Double>(repeating: 0)
        var total = 0.0
        accumulate(x, count: count, into: &lanes, &total)
        return total + lanes.sum()
    }

    /// Adds groups of 8 values to `lanes` and the remainder to `total`.
    @inline(__always) private static func accumulate(_ x: UnsafeMutablePointer<Float>, count: Int,
                                                     into lanes: inout SIMD8<Double>, _ total: inout Double) {
        var j = 0
        while j &+ 8 <= count {
            lanes += SIMD8<Double>(UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self))
            j &+= 8
        }
        while j < count { total += Double(x[j]); j &+= 1 }
    }
}
