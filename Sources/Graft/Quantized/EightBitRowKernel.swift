/// The 8-bit loops of `QuantizedRowKernel`. A unit is 32 weights: 32 bytes against 32
/// consecutive elements of an activation row.
extension QuantizedRowKernel {
    /// Weight rows `range` of an 8-bit matrix, as ``fourBitRows(_:_:lowRank:)``.
    @inline(never)
    static func eightBitRows<S: QuantizationScale>(_ range: Range<Int>, _ o: Operands<S>, lowRank: LowRankAddition?) {
        let units = o.cols / 32, shift = o.unitShift
        forEachTile(range, o, lowRank: lowRank, rowBytes: o.cols) { w, p, size, scales, bias in
            // A literal count per call, so each inlined copy keeps only its accumulators.
            switch size {
            case 8: eightBitEightRows(w, p, units: units, scales: scales, shift: shift, bias: bias)
            case 4: eightBitUnits(w, p, count: 4, units: units, scales: scales, shift: shift, bias: bias)
            case 2: eightBitUnits(w, p, count: 2, units: units, scales: scales, shift: shift, bias: bias)
            default: eightBitUnits(w, p, count: 1, units: units, scales: scales, shift: shift, bias: bias)
            }
        }
    }

    /// Unit `u` of an 8-bit weight row as floats, 8 consecutive weights per vector.
    @inline(__always)
    static func eightBitUnit(_ w: UnsafeRawPointer, _ u: Int) -> FourVectors {
        @inline(__always) func lanes(_ k: Int) -> SIMD8<Float> {
            SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: u &* 32 &+ k, as: SIMD8<UInt8>.self)))
        }
        return (lanes(0), lanes(8), lanes(16), lanes(24))
    }

    /// Σ_u scale(u)·(x_u · q_u) over one 8-bit weight row, as
    /// ``fourBitUnits(_:_:count:units:scales:shift:bias:)``.
    @inline(__always)
    static func eightBitUnits(_ w: UnsafeRawPointer, _ p: UnsafeRawPointer, count: Int, units: Int,
                              scales: UnsafeMutablePointer<Float>, shift: Int, bias: BiasTerms) -> EightVectors {
        let zero = SIMD8<Float>(repeating: 0), stride = count &* 128
        var a0 = bias.lanes(0), a1 = count > 1 ? bias.lanes(1) : zero
        var a2 = count > 2 ? bias.lanes(2) : zero, a3 = count > 2 ? bias.lanes(3) : zero
        var u = 0
        if count == 4 {
            while u < units {
                let q = eightBitUnit(w, u), s = SIMD8<Float>(repeating: scales[u &>> shift]), r = p + u &* stride
                a0.addProduct(unitDot(q, r), s)
                a1.addProduct(unitDot(q, r + 128), s)
                a2.addProduct(unitDot(q, r + 256), s)
                a3.addProduct(unitDot(q, r + 384), s)
                u &+= 1
            }
            return (a0, a1, a2, a3, a0, a0, a0, a0)
        }
        // Rows 0 and 1 of even units in a0, a1; of odd units in a2, a3 (zero at the start).
        while u < units {
            let q = eightBitUnit(w, u), s = SIMD8<Float>(repeating: scales[u &>> shift]), r = p + u &* stride
            a0.addProduct(unitDot(q, r), s)
            if count > 1 { a1.addProduct(unitDot(q, r + 128), s) }
            let v = u &+ 1
            if v < units {
                let q = eightBitUnit(w, v), s = SIMD8<Float>(repeating: scales[v &>> shift]), r = r + stride
                a2.addProduct(unitDot(q, r), s)
                if count > 1 { a3.addProduct(unitDot(q, r + 128), s) }
            }
            u &+= 2
        }
        return (a0 + a2, a1 + a3, a0, a0, a0, a0, a0, a0)
    }

    /// ``fourBitEightRows(_:_:units:scales:shift:bias:)`` for an 8-bit weight row.
    @inline(__always)
    static func eightBitEightRows(_ w: UnsafeRawPointer, _ p: UnsafeRawPointer, units: Int,
                                  scales: UnsafeMutablePointer<Float>, shift: Int, bias: BiasTerms) -> EightVectors {
        var a0 = bias.lanes(0), a1 = bias.lanes(1), a2 = bias.lanes(2), a3 = bias.lanes(3)
        var a4 = bias.lanes(4), a5 = bias.lanes(5), a6 = bias.lanes(6), a7 = bias.lanes(7)
        for u in 0..<units {
            let raw = eightBitUnit(w, u), s = SIMD8<Float>(repeating: scales[u &>> shift])
            let q = (raw.0 * s, raw.1 * s, raw.2 * s, raw.3 * s), r = p + u &* 1024
            addUnit(&a0, q, r); addUnit(&a1, q, r + 128); addUnit(&a2, q, r + 256); addUnit(&a3, q, r + 384)
            addUnit(&a4, q, r + 512); addUnit(&a5, q, r + 640); addUnit(&a6, q, r + 768); addUnit(&a7, q, r + 896)
        }
        return (a0, a1, a2, a3, a4, a5, a6, a7)
    }
}
