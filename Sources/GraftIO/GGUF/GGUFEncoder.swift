/// Appends GGUF's little-endian encodings of scalars, strings and metadata values to a byte buffer.
struct GGUFEncoder {
    private(set) var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ string: String) {
        let utf8 = Array(string.utf8)
        append(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func appendZeros(_ count: Int) {
        bytes.append(contentsOf: repeatElement(0, count: count))
    }

    /// Value type tag followed by the value (for ARRAY: element type, count, elements).
    mutating func append(_ value: GGUFValue) {
        append(value.type.rawValue)
        switch value {
        case .uint8(let v): append(v)
        case .int8(let v): append(v)
        case .uint16(let v): append(v)
        case .int16(let v): append(v)
        case .uint32(let v): append(v)
        case .int32(let v): append(v)
        case .uint64(let v): append(v)
        case .int64(let v): append(v)
        case .float32(let v): append(v.bitPattern)
        case .float64(let v): append(v.bitPattern)
        case .bool(let v): append(UInt8(v ? 1 : 0))
        case .string(let s): append(s)
        case .array(let array): append(array)
        }
    }

    private mutating func append(_ array: GGUFArray) {
        append(array.elementType.rawValue)
        append(UInt64(array.count))
        switch array {
        case .uint8(let a): a.forEach { append($0) }
        case .int8(let a): a.forEach { append($0) }
        case .uint16(let a): a.forEach { append($0) }
        case .int16(let a): a.forEach { append($0) }
        case .uint32(let a): a.forEach { append($0) }
        case .int32(let a): a.forEach { append($0) }
        case .uint64(let a): a.forEach { append($0) }
        case .int64(let a): a.forEach { append($0) }
        case .float32(let a): a.forEach { append($0.bitPattern) }
        case .float64(let a): a.forEach { append($0.bitPattern) }
        case .bool(let a): a.forEach { append(UInt8($0 ? 1 : 0)) }
        case .string(let a): a.forEach { append($0) }
        }
    }
}
