import Foundation

/// Builds a safetensors file laid out exactly as the reference library lays it out:
/// tensors ordered by decreasing dtype alignment, then by name; header JSON compact, padded
/// with spaces to a multiple of 8 bytes; `__metadata__` first. (The reference keeps metadata
/// in a hash map, so with several metadata keys its key order varies from run to run; this
/// writer sorts them, so its output is identical to the reference whenever the reference's
/// own output is deterministic.)
public struct SafetensorsWriter: Sendable {
    private struct Entry: Sendable {
        let name: String
        let dtype: SafetensorsDType
        let shape: [Int]
        let bytes: Data
    }

    /// The `__metadata__` map; nil writes none.
    public var metadata: [String: String]?
    private var entries: [String: Entry] = [:]

    /// Starts an empty file with optional metadata.
    public init(metadata: [String: String]? = nil) {
        self.metadata = metadata
    }

    /// Names added so far, sorted.
    public var tensorNames: [String] { entries.keys.sorted() }

    /// Total number of tensor data bytes added so far.
    public var dataByteCount: Int { entries.values.reduce(0) { $0 + $1.bytes.count } }

    /// Adds a tensor from raw little-endian bytes; `bytes.count` must equal
    /// `shape.product * dtype.byteSize`.
    public mutating func add(_ name: String, dtype: SafetensorsDType, shape: [Int], bytes: Data) throws {
        guard name != "__metadata__" else { throw inputError("'__metadata__' cannot name a tensor") }
        guard entries[name] == nil else { throw inputError("tensor '\(name)' added twice") }
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) * dtype.byteSize == bytes.count else {
            throw inputError("tensor '\(name)': \(bytes.count) bytes do not fit shape \(shape) of \(dtype.rawValue)")
        }
        entries[name] = Entry(name: name, dtype: dtype, shape: shape, bytes: bytes)
    }

    /// Adds float values stored as `dtype` (F32, F64, F16 or BF16; the 16-bit types are
    /// rounded to nearest even).
    public mutating func add(_ name: String, floats: [Float], shape: [Int], as dtype: SafetensorsDType = .f32) throws {
        let bytes: Data
        switch dtype {
        case .f32: bytes = Self.littleEndianBytes(floats.map(\.bitPattern))
        case .f64: bytes = Self.littleEndianBytes(floats.map { Double($0).bitPattern })
        case .f16: bytes = Self.littleEndianBytes(floats.map(SafetensorsConversion.float16Bits))
        case .bf16: bytes = Self.littleEndianBytes(floats.map(SafetensorsConversion.bfloat16Bits))
        default: throw inputError("tensor '\(name)': floats cannot be stored as \(dtype.rawValue)")
        }
        try add(name, dtype: dtype, shape: shape, bytes: bytes)
    }

    /// Adds integer values stored as the matching dtype (I8...U64).
    public mutating func add<T: FixedWidthInteger>(_ name: String, integers: [T], shape: [Int]) throws {
        let dtype: SafetensorsDType
        switch (T.bitWidth, T.isSigned) {
        case (8, true): dtype = .i8
        case (8, false): dtype = .u8
        case (16, true): dtype = .i16
        case (16, false): dtype = .u16
        case (32, true): dtype = .i32
        case (32, false): dtype = .u32
        case (64, true): dtype = .i64
        default: dtype = .u64
        }
        try add(name, dtype: dtype, shape: shape, bytes: Self.littleEndianBytes(integers))
    }

    /// Adds booleans (one byte each, 0 or 1) as BOOL.
    public mutating func add(_ name: String, booleans: [Bool], shape: [Int]) throws {
        try add(name, dtype: .bool, shape: shape, bytes: Data(booleans.map { $0 ? 1 : 0 }))
    }

    /// The complete file image.
    public func serialized() -> Data {
        let ordered = entries.values.sorted {
            $0.dtype.writeOrder != $1.dtype.writeOrder ? $0.dtype.writeOrder > $1.dtype.writeOrder : $0.name < $1.name
        }
        var offset = 0
        var infos: [SafetensorsTensorInfo] = []
        infos.reserveCapacity(ordered.count)
        for entry in ordered {
            infos.append(SafetensorsTensorInfo(name: entry.name, dtype: entry.dtype, shape: entry.shape,
                                               dataOffsets: offset..<(offset + entry.bytes.count)))
            offset += entry.bytes.count
        }
        var header = SafetensorsJSON.header(metadata: metadata, tensors: infos)
        header.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8))
        var output = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { output.append(contentsOf: $0) }
        output.append(contentsOf: header)
        for entry in ordered { output.append(entry.bytes) }
        return output
    }

    /// Writes the file atomically (temporary file, fsync, rename) to `url`.
    public func write(to url: URL) throws {
        try AtomicFile.write(serialized(), to: url)
    }

    /// Splits the tensors, in name order, into writers of at most `maxShardBytes` data bytes
    /// each (a single larger tensor gets a shard of its own). Metadata is copied to each.
    func shardGroups(maxShardBytes: Int) -> [SafetensorsWriter] {
        var groups: [SafetensorsWriter] = []
        var current = SafetensorsWriter(metadata: metadata)
        var currentBytes = 0
        for name in tensorNames {
            let entry = entries[name]!
            if currentBytes > 0, currentBytes + entry.bytes.count > maxShardBytes {
                groups.append(current)
                current = SafetensorsWriter(metadata: metadata)
                currentBytes = 0
            }
            current.entries[name] = entry
            currentBytes += entry.bytes.count
        }
        if !current.entries.isEmpty || groups.isEmpty { groups.append(current) }
        return groups
    }

    private func inputError(_ reason: String) -> SafetensorsError {
        SafetensorsError(file: "<writer>", .invalidInput(reason))
    }

    private static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> Data {
        var data = Data(count: values.count * MemoryLayout<T>.size)
        data.withUnsafeMutableBytes { raw in
            for (index, value) in values.enumerated() {
                raw.storeBytes(of: value.littleEndian, toByteOffset: index * MemoryLayout<T>.size, as: T.self)
            }
        }
        return data
    }
}
