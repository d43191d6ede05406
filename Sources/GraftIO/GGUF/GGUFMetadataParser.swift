/// Decodes GGUF metadata values (scalars, strings and arrays) from a cursor.
enum GGUFMetadataParser {
    /// Reads one value of type `type`. `key` is only used in error messages.
    static func readValue(_ type: GGUFValueType, key: String, cursor: inout GGUFByteCursor) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try cursor.read(UInt8.self))
        case .int8: return .int8(try cursor.read(Int8.self))
        case .uint16: return .uint16(try cursor.read(UInt16.self))
        case .int16: return .int16(try cursor.read(Int16.self))
        case .uint32: return .uint32(try cursor.read(UInt32.self))
        case .int32: return .int32(try cursor.read(Int32.self))
        case .uint64: return .uint64(try cursor.read(UInt64.self))
        case .int64: return .int64(try cursor.read(Int64.self))
        case .float32: return .float32(try cursor.readFloat())
        case .float64: return .float64(try cursor.readDouble())
        case .bool: return .bool(try readBool(key: key, cursor: &cursor))
        case .string: return .string(try cursor.readString())
        case .array: return .array(try readArray(key: key, cursor: &cursor))
        }
    }

    static func readValueType(key: String, cursor: inout GGUFByteCursor) throws -> GGUFValueType {
        let raw = try cursor.read(UInt32.self)
        guard let type = GGUFValueType(rawValue: raw) else {
            throw GGUFError.invalidMetadata(path: cursor.path, key: key, reason: "unknown value type \(raw)")
        }
        return type
    }

    private static func readBool(key: String, cursor: inout GGUFByteCursor) throws -> Bool {
        let byte = try cursor.read(UInt8.self)
        guard byte <= 1 else {
            throw GGUFError.invalidMetadata(path: cursor.path, key: key, reason: "BOOL byte is \(byte), not 0 or 1")
        }
        return byte == 1
    }

    private static func readArray(key: String, cursor: inout GGUFByteCursor) throws -> GGUFArray {
        let elementType = try readValueType(key: key, cursor: &cursor)
        // Strings need at least their 8-byte length; nested arrays are refused below anyway.
        let count = try cursor.readCount(minimumUnitSize: elementType.fixedByteCount ?? 8)
        switch elementType {
        case .uint8: return .uint8(try cursor.readArray(of: UInt8.self, count: count))
        case .int8: return .int8(try cursor.readArray(of: Int8.self, count: count))
        case .uint16: return .uint16(try cursor.readArray(of: UInt16.self, count: count))
        case .int16: return .int16(try cursor.readArray(of: Int16.self, count: count))
        case .uint32: return .uint32(try cursor.readArray(of: UInt32.self, count: count))
        case .int32: return .int32(try cursor.readArray(of: Int32.self, count: count))
        case .uint64: return .uint64(try cursor.readArray(of: UInt64.self, count: count))
        case .int64: return .int64(try cursor.readArray(of: Int64.self, count: count))
        case .float32:
            return .float32(try cursor.readArray(of: UInt32.self, count: count).map(Float.init(bitPattern:)))
        case .float64:
            return .float64(try cursor.readArray(of: UInt64.self, count: count).map(Double.init(bitPattern:)))
        case .bool:
            let raw = try cursor.readArray(of: UInt8.self, count: count)
            if let bad = raw.first(where: { $0 > 1 }) {
                throw GGUFError.invalidMetadata(path: cursor.path, key: key,
                                                reason: "BOOL array element is \(bad), not 0 or 1")
            }
            return .bool(raw.map { $0 == 1 })
        case .string:
            var strings: [String] = []
            strings.reserveCapacity(count)
            for _ in 0 ..< count { strings.append(try cursor.readString()) }
            return .string(strings)
        case .array:
            throw GGUFError.invalidMetadata(path: cursor.path, key: key,
                                            reason: "arrays of arrays are not supported (ggml rejects them)")
        }
    }
}
