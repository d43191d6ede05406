/// Dequantization kernels for ggml's 256-element "K" super-block types Q4_K, Q5_K and Q6_K
/// (layouts in docs/formats.md §1.6; Q5_K below). Each kernel reads `blockCount` super-blocks
/// and writes `256 · blockCount` floats, in the reference (gguf-py) order of operations.
///
/// Q5_K (176 bytes): `d: f16 @0`, `dmin: f16 @2`, `scales: 12 bytes @4` (6-bit scales/mins packed
/// as in Q4_K), `qh: 32 bytes @16`, `qs: 128 bytes @48`. Element e: c = e/64, half = (e%64)/32,
/// l = e%32, sub-block j = 2c + half; low 4 bits = nibble `half` of `qs[32c + l]`; fifth bit =
/// bit j of `qh[l]`; value = `d·sc[j]·q − dmin·mn[j]`.
enum KQuantDequantization {
    /// Unpacks the eight 6-bit scales and mins of a Q4_K/Q5_K super-block.
    @inline(__always)
    private static func scalesAndMins(_ p: UnsafeRawPointer) -> (scales: SIMD8<UInt8>, mins: SIMD8<UInt8>) {
        var sc = SIMD8<UInt8>(), mn = SIMD8<UInt8>()
        for j in 0 ..< 4 {
            sc[j] = p.load(fromByteOffset: j, as: UInt8.self) & 63
            mn[j] = p.load(fromByteOffset: j + 4, as: UInt8.self) & 63
        }
        for j in 4 ..< 8 {
            let packed = p.load(fromByteOffset: j + 4, as: UInt8.self)
            sc[j] = (packed & 0x0F) | ((p.load(fromByteOffset: j - 4, as: UInt8.self) >> 6) << 4)
            mn[j] = (packed >> 4) | ((p.load(fromByteOffset: j, as: UInt8.self) >> 6) << 4)
        }
        return (sc, mn)
    }

    static func q4_K(_ source: UnsafeRawPointer, blockCount: Int, _ output: UnsafeMutablePointer<Float>) {
        HalfPrecision.halfTable.withUnsafeBufferPointer { half in
            for b in 0 ..< blockCount {
                let block = source + b * 144
                let d = half[Int(block.loadUnaligned(as: UInt16.self))]
                let dmin = half[Int(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))]
                let (sc, mn) = scalesAndMins(block + 4)
                let qs = block + 16
                let out = output + b * 256
                for c in 0 ..< 4 {
                    let scaleLow = d * Float(sc[2 * c]), minLow = dmin * Float(mn[2 * c])
                    let scaleHigh = d * Float(sc[2 * c + 1]), minHigh = dmin * Float(mn[2 * c + 1])
                    for l in 0 ..< 32 {
                        let byte = qs.load(fromByteOffset: 32 * c + l, as: UInt8.self)
                        out[64 * c + l] = scaleLow * Float(byte & 0x0F) - minLow
                        out[64 * c + 32 + l] = scaleHigh * Float(byte >> 4) - minHigh
                    }
                }
            }
        }
    }

    static func q5_K(_ source: UnsafeRawPointer, blockCount: Int, _ output: UnsafeMutablePointer<Float>) {
        HalfPrecision.halfTable.withUnsafeBufferPointer { half in
            for b in 0 ..< blockCount {
                let block = source + b * 176
                let d = half[Int(block.loadUnaligned(as: UInt16.self))]
                let dmin = half[Int(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))]
                let (sc, mn) = scalesAndMins(block + 4)
                let qh = block + 16
                let qs = block + 48
                let out = output + b * 256
                for c in 0 ..< 4 {
                    let jLow = 2 * c, jHigh = 2 * c + 1
                    let scaleLow = d * Float(sc[jLow]), minLow = dmin * Float(mn[jLow])
                    let scaleHigh = d * Float(sc[jHigh]), minHigh = dmin * Float(mn[jHigh])
                    for l in 0 ..< 32 {
                        let byte = qs.load(fromByteOffset: 32 * c + l, as: UInt8.self)
                        let hbits = qh.load(fromByteOffset: l, as: UInt8.self)
                        let low = (byte & 0x0F) | (((hbits >> UInt8(jLow)) & 1) << 4)
                        let high = (byte >> 4) | (((hbits >> UInt8(jHigh)) & 1) << 4)
                        out[64 * c + l] = scaleLow * Float(low) - minLow
                        out[64 * c + 32 + l] = scaleHigh * Float(high) - minHigh
                    }
                }
            }
        }
    }

    static func q6_K(_ source: UnsafeRawPointer, blockCount: Int, _ output: UnsafeMutablePointer<Float>) {
        HalfPrecision.halfTable.withUnsafeBufferPointer { half in
            for b in 0 ..< blockCount {
                let block = source + b * 210
                let ql = block, qh = block + 128, scales = block + 192
                let d = half[Int(block.loadUnaligned(fromByteOffset: 208, as: UInt16.self))]
                let out = output + b * 256
                for n in 0 ..< 2 {
                    for g in 0 ..< 4 {
                        let lowBase = 64 * n + (g & 1) * 32
                        let lowShift = UInt8(g >= 2 ? 4 : 0)
                        let highShift = UInt8(2 * g)
                        for l in 0 ..< 32 {
                            let scale = d * Float(scales.load(fromByteOffset: 8 * n + l / 16 + 2 * g, as: Int8.self))
                            let low4 = (ql.load(fromByteOffset: lowBase + l, as: UInt8.self) >> lowShift) & 0x0F
                            let high2 = (qh.load(fromByteOffset: 32 * n + l, as: UInt8.self) >> highShift) & 3
                            let q = Int32(low4 | (high2 << 4)) - 32
                            out[128 * n + 32 * g + l] = scale * Float(q)
                        }
                    }
                }
            }
        }
    }
}
