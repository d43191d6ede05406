/// Element conversions between safetensors dtypes and `Float`.
public enum SafetensorsConversion {
    /// bfloat16 bits → Float (exact: bf16 is the top half of a float32).
    @inline(__always)
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Float → bfloat16 bits, rounding to nearest even (NaN stays a quiet NaN).
    @inline(__always)
    public static func bfloat16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounding = 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    /// IEEE half bits → Float (exact).
    @inline(__always)
    public static func float(fromFloat16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// Float → IEEE half bits, rounding to nearest even.
    @inline(__always)
    public static func float16Bits(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// Converts `count` little-endian elements of `dtype` at `source` to Float.
    /// Reads are unaligned-safe. Returns nil for dtypes without a conversion.
    static func floats(from source: UnsafeRawBufferPointer, dtype: SafetensorsDType, count: Int) -> [Float]? {
        guard dtype.convertsToFloat else { return nil }
        precondition(source.count >= count * dtype.byteSize, "tensor byte range shorter than its shape")
        return [Float](unsafeUninitializedCapacity: count) { output, initialized in
            convert(source, dtype, into: output)
            initialized = count
        }
    }

    private static func convert(_ source: UnsafeRawBufferPointer, _ dtype: SafetensorsDType,
                                into output: UnsafeMutableBufferPointer<Float>) {
        func each<T: FixedWidthInteger>(_: T.Type, _ transform: (T) -> Float) {
            for index in 0..<output.count {
                output[index] = transform(T(littleEndian: source.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self)))
            }
        }
        switch dtype {
        case .f32: each(UInt32.self) { Float(bitPattern: $0) }
        case .f64: each(UInt64.self) { Float(Double(bitPattern: $0)) }
        case .f16: each(UInt16.self) { float(fromFloat16: $0) }
        case .bf16: each(UInt16.self) { float(fromBFloat16: $0) }
        case .i64: each(Int64.self) { Float($0) }
        case .u64: each(UInt64.self) { Float($0) }
        case .i32: each(Int32.self) { Float($0) }
        case .u32: each(UInt32.self) { Float($0) }
        case .i16: each(Int16.self) { Float($0) }
        case .u16: each(UInt16.self) { Float($0) }
        case .i8: each(Int8.self) { Float($0) }
        case .u8: each(UInt8.self) { Float($0) }
        case .bool: each(UInt8.self) { $0 == 0 ? 0 : 1 }
        case .f8E5M2, .f8E4M3, .c64: break
        }
    }
}
