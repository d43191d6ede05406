/// A bounds-checked little-endian reader over the mapped bytes of a GGUF file.
///
/// Every read checks that the bytes exist and otherwise throws `GGUFError.truncated` naming
/// `section`, which the parser updates as it goes ("metadata record 5 ('llama.block_count')").
struct GGUFByteCursor {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var position: Int = 0
    var section: String = "header"

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    var remaining: Int { bytes.count - position }

    /// Throws `truncated` unless `count` more bytes are available.
    func require(_ count: Int) throws {
        if count < 0 || count > remaining {
            throw GGUFError.truncated(path: path, section: section, offset: position,
                                      needed: count, fileSize: bytes.count)
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        try require(size)
        let value = bytes.loadUnaligned(fromByteOffset: position, as: T.self)
        position += size
        return T(littleEndian: value)
    }

    mutating func readFloat() throws -> Float { Float(bitPattern: try read(UInt32.self)) }
    mutating func readDouble() throws -> Double { Double(bitPattern: try read(UInt64.self)) }

    /// Reads a u64 length and returns it as `Int`, refusing lengths that cannot fit in the rest
    /// of the file when each unit needs at least `minimumUnitSize` bytes.
    mutating func readCount(minimumUnitSize: Int) throws -> Int {
        let start = position
        let raw = try read(UInt64.self)
        let unit = max(minimumUnitSize, 1)
        guard raw <= UInt64(remaining / unit) else {
            let needed = raw > UInt64(Int.max / unit) ? Int.max : Int(raw) * unit
            throw GGUFError.truncated(path: path, section: section, offset: start + 8,
                                      needed: needed, fileSize: bytes.count)
        }
        return Int(raw)
    }

    /// Reads a GGUF string (u64 byte length + UTF-8 bytes). Invalid UTF-8 is repaired.
    mutating func readString() throws -> String {
        let length = try readCount(minimumUnitSize: 1)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position ..< position + length])
        position += length
        return String(decoding: slice, as: UTF8.self)
    }

    /// Reads `count` fixed-size little-endian integers as an array, in one bounds check.
    mutating func readArray<T: FixedWidthInteger>(of _: T.Type, count: Int) throws -> [T] {
        let size = MemoryLayout<T>.size
        try require(count * size)
        let start = position
        position += count * size
        let source = bytes
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0 ..< count {
                buffer[i] = T(littleEndian: source.loadUnaligned(fromByteOffset: start + i * size, as: T.self))
            }
            initialized = count
        }
    }
}
