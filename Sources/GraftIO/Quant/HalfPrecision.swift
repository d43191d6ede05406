/// Conversions between 16-bit float formats (IEEE binary16, bfloat16) and `Float`.
public enum HalfPrecision {
    /// `Float` value of every binary16 bit pattern, built once (256 KiB). A table lookup is
    /// exact and faster than a software conversion on CPUs without a half-precision unit.
    static let halfTable: [Float] = (0 ... 0xFFFF).map { halfBitsToFloatExact(UInt16($0)) }

    /// The binary16 bit pattern `bits` as `Float` (exact; subnormals, ±inf and NaN kept).
    @inline(__always)
    public static func floatFromHalfBits(_ bits: UInt16) -> Float {
        halfTable.withUnsafeBufferPointer { $0[Int(bits)] }
    }

    /// The bfloat16 bit pattern `bits` as `Float` (exact: the pattern is the top half of a float).
    @inline(__always)
    public static func floatFromBFloat16Bits(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// `value` rounded to binary16 (round to nearest even, overflow to ±inf), as bits.
    public static func halfBits(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// `value` rounded to bfloat16 as ggml does (round to nearest even; NaN forced quiet), as bits.
    public static func bfloat16Bits(from value: Float) -> UInt16 {
        let u = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (u >> 16) | 0x40) }
        return UInt16(truncatingIfNeeded: (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
    }

    /// Exact binary16 → binary32 widening from the bit fields (used to build the table).
    static func halfBitsToFloatExact(_ h: UInt16) -> Float {
        let sign: Float = (h & 0x8000) != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = Float(h & 0x3FF)
        switch exponent {
        case 0: return sign * mantissa * 0x1p-24
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1 + mantissa / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
