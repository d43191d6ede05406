/// Converts raw ggml tensor bytes to `Float`s.
///
/// Supported: F32, F16, BF16, F64 (narrowed), Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K.
/// Values come out in memory order, i.e. row-major with rows of `ne[0]` elements.
public enum GGMLDequantizer {
    /// Types `dequantize` accepts.
    public static let supportedTypes: Set<GGMLType> = [
        .f32, .f16, .bf16, .f64, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K,
    ]

    /// Dequantizes `elementCount` elements of `type` from `bytes` into `output`.
    ///
    /// `bytes` must hold exactly the tensor's bytes and `output` at least `elementCount` floats.
    public static func dequantize(_ bytes: UnsafeRawBufferPointer, type: GGMLType, elementCount: Int,
                                  into output: UnsafeMutableBufferPointer<Float>) throws {
        guard supportedTypes.contains(type) else { throw QuantizationError.unsupportedType(type, target: "Float") }
        guard let expected = type.byteCount(elementCount: elementCount) else {
            throw QuantizationError.invalidParameters(
                "\(elementCount) elements is not a whole number of \(type) blocks of \(type.blockSize)")
        }
        guard bytes.count == expected else {
            throw QuantizationError.byteCountMismatch(type: type, elementCount: elementCount,
                                                      expected: expected, actual: bytes.count)
        }
        guard output.count >= elementCount else {
            throw QuantizationError.invalidParameters("output holds \(output.count) floats, need \(elementCount)")
        }
        guard elementCount > 0, let src = bytes.baseAddress, let dst = output.baseAddress else { return }
        let blocks = elementCount / type.blockSize
        switch type {
        case .f32:
            UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: elementCount * 4)
        case .f16:
            HalfPrecision.halfTable.withUnsafeBufferPointer { half in
                for i in 0 ..< elementCount {
                    dst[i] = half[Int(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))]
                }
            }
        case .bf16:
            for i in 0 ..< elementCount {
                let bits = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                dst[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        case .f64:
            for i in 0 ..< elementCount {
                dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        case .q4_0: LegacyBlockDequantization.q4_0(src, blockCount: blocks, dst)
        case .q4_1: LegacyBlockDequantization.q4_1(src, blockCount: blocks, dst)
        case .q5_0: LegacyBlockDequantization.q5_0(src, blockCount: blocks, dst)
        case .q5_1: LegacyBlockDequantization.q5_1(src, blockCount: blocks, dst)
        case .q8_0: LegacyBlockDequantization.q8_0(src, blockCount: blocks, dst)
        case .q4_K: KQuantDequantization.q4_K(src, blockCount: blocks, dst)
        case .q5_K: KQuantDequantization.q5_K(src, blockCount: blocks, dst)
        case .q6_K: KQuantDequantization.q6_K(src, blockCount: blocks, dst)
        default: throw QuantizationError.unsupportedType(type, target: "Float")
        }
    }

    /// Dequantizes `elementCount` elements of `type` from `bytes` into a new array.
    public static func dequantize(_ bytes: UnsafeRawBufferPointer, type: GGMLType, elementCount: Int) throws -> [Float] {
        var error: Error?
        let values = [Float](unsafeUninitializedCapacity: elementCount) { buffer, initialized in
            do {
                try dequantize(bytes, type: type, elementCount: elementCount, into: buffer)
                initialized = elementCount
            } catch let e {
                error = e
                initialized = 0
            }
        }
        if let error { throw error }
        return values
    }

    /// Dequantizes one row (`columns` elements) of a row-major `[rows, columns]` tensor.
    public static func dequantizeRow(_ row: Int, of bytes: UnsafeRawBufferPointer, type: GGMLType,
                                     rows: Int, columns: Int) throws -> [Float] {
        guard (0 ..< rows).contains(row) else {
            throw QuantizationError.invalidParameters("row \(row) out of range 0..<\(rows)")
        }
        guard let rowBytes = type.byteCount(elementCount: columns),
              bytes.count == rowBytes * rows else {
            throw QuantizationError.byteCountMismatch(type: type, elementCount: rows * columns,
                                                      expected: (type.byteCount(elementCount: columns) ?? -1) * rows,
                                                      actual: bytes.count)
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[row * rowBytes ..< (row + 1) * rowBytes])
        return try dequantize(slice, type: type, elementCount: columns)
    }
}
