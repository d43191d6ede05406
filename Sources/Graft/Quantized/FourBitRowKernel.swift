/// The 4-bit loops of `QuantizedRowKernel`. A unit is 32 weights: 16 packed bytes, whose low
/// nibbles meet the unit's 16 even and whose high nibbles its 16 odd activation values.
extension QuantizedRowKernel {
    /// Weight rows `range` of a 4-bit matrix against every activation row (the loop is
    /// ``forEachTile(_:_:lowRank:rowBytes:_:)``). Separate functions per bit width keep each small
    /// enough that every SIMD load inlines.
    @inline(never)
    static func fourBitRows<S: QuantizationScale>(_ range: Range<Int>, _ o: Operands<S>, lowRank: LowRankAddition?) {
        let units = o.cols / 32, shift = o.unitShift
        forEachTile(range, o, lowRank: lowRank, rowBytes: o.cols / 2) { w, p, size, scales, bias in
            // A literal count per call, so each inlined copy keeps only its accumulators.
            switch size {
            case 8: fourBitEightRows(w, p, units: units, scales: scales, shift: shift, bias: bias)
            case 4: fourBitUnits(w, p, count: 4, units: units, scales: scales, shift: shift, bias: bias)
            case 2: fourBitUnits(w, p, count: 2, units: units, scales: scales, shift: shift, bias: bias)
            default: fourBitUnits(w, p, count: 1, units: units, scales: scales, shift: shift, bias: bias)
            }
        }
    }

    /// Unit `u` of a 4-bit weight row as floats in the panel's order: (even 0–7, odd 0–7,
    /// even 8–15, odd 8–15).
    @inline(__always)
    static func fourBitUnit(_ w: UnsafeRawPointer, _ u: Int) -> FourVectors {
        let low = SIMD8<Int32>(repeating: 0xF), offset = u &* 16
        let b0 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt8>.self))
        let b1 = SIMD8<Int32>(truncatingIfNeeded: w.loadUnaligned(fromByteOffset: offset &+ 8, as: SIMD8<UInt8>.self))
        return (SIMD8<Float>(b0 & low), SIMD8<Float>(b0 &>> 4), SIMD8<Float>(b1 & low), SIMD8<Float>(b1 &>> 4))
    }

    /// Σ_u scale(u)·(x_u · q_u) over one 4-bit weight row for the first `count` (1, 2 or 4; a
    /// literal at every call site) activation rows of the block panel `p`. Each unit's products
    /// are summed on their own and then scaled into the row's accumulator, so no dependent chain
    /// is longer than a unit; with one or two rows, alternate units go to separate accumulators.
    /// Row `k`'s lanes start from its bias term.
    @inline(__always)
    static func fourBitUnits(_ w: UnsafeRawPointer, _ p: UnsafeRawPointer, count: Int, units: Int,
                             scales: UnsafeMutablePointer<Float>, shift: Int, bias: BiasTerms) -> EightVectors {
        let zero = SIMD8<Float>(repeating: 0), stride = count &* 128
        var a0 = bias.lanes(0), a1 = count > 1 ? bias.lanes(1) : zero
        var a2 = count > 2 ? bias.lanes(2) : zero, a3 = count > 2 ? bias.lanes(3) : zero
        var u = 0
        if count == 4 {
            while u < units {
                let q = fourBitUnit(w, u), s = SIMD8<Float>(repeating: scales[u &>> shift]), r = p + u &* stride
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
            let q = fourBitUnit(w, u), s = SIMD8<Float>(repeating: scales[u &>> shift]), r = p + u &* stride
            a0.addProduct(unitDot(q, r), s)
            if count > 1 { a1.addProduct(unitDot(q, r + 128), s) }
            let v = u &+ 1
            if v < units {
                let q = fourBitUnit(w, v), s = SIMD8<Float>(repeating: scales[v &>> shift]), r = r + stride
                a2.addProduct(unitDot(q, r), s)
                if count > 1 { a3.addProduct(unitDot(q, r + 128), s) }
            }
            u &+= 2
        }
        return (a0 + a2, a1 + a3, a0, a0, a0, a0, a0, a0)
    }

    /// ``fourBitUnits(_:_:count:units:scales:shift:bias:)`` for eight activation rows: the unit's
    /// weights are scaled once and meet each row in one long chain (eight independent chains
    /// keep the multiply-add units busy; per-unit sums would need more registers than there are).
    @inline(__always)
    static func fourBitEightRows(_ w: UnsafeRawPointer, _ p: UnsafeRawPointer, units: Int,
                                 scales: UnsafeMutablePointer<Float>, shift: Int, bias: BiasTerms) -> EightVectors {
        var a0 = bias.lanes(0), a1 = bias.lanes(1), a2 = bias.lanes(2), a3 = bias.lanes(3)
        var a4 = bias.lanes(4), a5 = bias.lanes(5), a6 = bias.lanes(6), a7 = bias.lanes(7)
        for u in 0..<units {
            let raw = fourBitUnit(w, u), s = SIMD8<Float>(repeating: scales[u &>> shift])
            let q = (raw.0 * s, raw.1 * s, raw.2 * s, raw.3 * s), r = p + u &* 1024
            addUnit(&a0, q, r); addUnit(&a1, q, r + 128); addUnit(&a2, q, r + 256); addUnit(&a3, q, r + 384)
            addUnit(&a4, q, r + 512); addUnit(&a5, q, r + 640); addUnit(&a6, q, r + 768); addUnit(&a7, q, r + 896)
        }
        return (a0, a1, a2, a3, a4, a5, a6, a7)
    }
}
