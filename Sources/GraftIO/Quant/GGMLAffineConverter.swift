/// Converts ggml Q4_0, Q4_1 and Q8_0 blocks to MLX affine groups of 32 without going through
/// floats (docs/formats.md §5.2). The result dequantizes bit-identically to the ggml reference:
///
/// | ggml | bits | scale | bias     | q                 |
/// |------|------|-------|----------|-------------------|
/// | Q4_1 | 4    | d     | m        | the nibble        |
/// | Q4_0 | 4    | d     | −8·d     | the nibble        |
/// | Q8_0 | 8    | d     | −128·d   | int8 + 128        |
///
/// (d·q is exact in `Float` because d has 11 significant bits and q at most 8, and −8·d, −128·d
/// are exact, so `d·q + bias` equals the reference `d·(q − 8)` / `d·q` exactly; only the sign of
/// a zero can differ: Q4_0 with a negative d gives +0 where the reference gives −0.)
/// The only real work is reordering nibbles: ggml keeps element j (j < 16) in the low nibble of
/// byte j and element j + 16 in its high nibble; MLX wants element k in nibble k % 8 of word k / 8.
public enum GGMLAffineConverter {
    /// ggml types that convert directly.
    public static let supportedTypes: Set<GGMLType> = [.q4_0, .q4_1, .q8_0]

    /// Converts a row-major `[rows, cols]` tensor of `type` stored in `bytes`.
    public static func convert(_ bytes: UnsafeRawBufferPointer, type: GGMLType, rows: Int, cols: Int) throws -> AffineQuantizedMatrix {
        guard supportedTypes.contains(type) else { throw QuantizationError.unsupportedType(type, target: "affine groups of 32") }
        guard rows >= 0, cols >= 0, cols % 32 == 0 else {
            throw QuantizationError.invalidParameters("row length \(cols) is not a multiple of 32")
        }
        let count = rows * cols
        let expected = type.byteCount(elementCount: count)!
        guard bytes.count == expected else {
            throw QuantizationError.byteCountMismatch(type: type, elementCount: count, expected: expected, actual: bytes.count)
        }
        let blocks = count / 32
        let bits = type == .q8_0 ? 8 : 4
        var packed = [UInt32](repeating: 0, count: count * bits / 32)
        var scales = [Float](repeating: 0, count: blocks)
        var biases = [Float](repeating: 0, count: blocks)
        if blocks > 0, let src = bytes.baseAddress {
            packed.withUnsafeMutableBufferPointer { words in
                scales.withUnsafeMutableBufferPointer { scales in
                    biases.withUnsafeMutableBufferPointer { biases in
                        let w = words.baseAddress!, s = scales.baseAddress!, b = biases.baseAddress!
                        switch type {
                        case .q4_0: convertQ4(src, blocks: blocks, blockBytes: 18, hasMin: false, w, s, b)
                        case .q4_1: convertQ4(src, blocks: blocks, blockBytes: 20, hasMin: true, w, s, b)
                        default: convertQ8(src, blocks: blocks, w, s, b)
                        }
                    }
                }
            }
        }
        return try AffineQuantizedMatrix(rows: rows, cols: cols, bits: bits, groupSize: 32,
                                         packed: packed, scales: scales, biases: biases)
    }

    /// Gathers the low nibbles of the 8 bytes of `x` into one 32-bit word, byte i's nibble at bits 4i.
    @inline(__always)
    static func gatherLowNibbles(_ x: UInt64) -> UInt32 {
        var y = x & 0x0F0F_0F0F_0F0F_0F0F
        y = (y | (y >> 4)) & 0x00FF_00FF_00FF_00FF
        y = (y | (y >> 8)) & 0x0000_FFFF_0000_FFFF
        y = (y | (y >> 16)) & 0x0000_0000_FFFF_FFFF
        return UInt32(truncatingIfNeeded: y)
    }

    private static func convertQ4(_ src: UnsafeRawPointer, blocks: Int, blockBytes: Int, hasMin: Bool,
                                  _ words: UnsafeMutablePointer<UInt32>, _ scales: UnsafeMutablePointer<Float>,
                                  _ biases: UnsafeMutablePointer<Float>) {
        let qsOffset = hasMin ? 4 : 2
        HalfPrecision.halfTable.withUnsafeBufferPointer { half in
            for i in 0 ..< blocks {
                let block = src + i * blockBytes
                let d = half[Int(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))]
                scales[i] = d
                biases[i] = hasMin
                    ? half[Int(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))]
                    : -8 * d
                let first = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: qsOffset, as: UInt64.self))
                let second = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: qsOffset + 8, as: UInt64.self))
                let out = words + i * 4
                out[0] = gatherLowNibbles(first)        // elements 0..7
                out[1] = gatherLowNibbles(second)       // elements 8..15
                out[2] = gatherLowNibbles(first >> 4)   // elements 16..23
                out[3] = gatherLowNibbles(second >> 4)  // elements 24..31
            }
        }
    }

    private static func convertQ8(_ src: UnsafeRawPointer, blocks: Int,
                                  _ words: UnsafeMutablePointer<UInt32>, _ scales: UnsafeMutablePointer<Float>,
                                  _ biases: UnsafeMutablePointer<Float>) {
        HalfPrecision.halfTable.withUnsafeBufferPointer { half in
            for i in 0 ..< blocks {
                let block = src + i * 34
                let d = half[Int(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))]
                scales[i] = d
                biases[i] = -128 * d
                let out = words + i * 8
                for w in 0 ..< 8 {
                    // int8 → uint8 by flipping bit 7 (q + 128), four bytes per little-endian word.
                    let raw = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2 + 4 * w, as: UInt32.self))
                    out[w] = raw ^ 0x8080_8080
                }
            }
        }
    }
}
