import Foundation
/// Builds and writes a GGUF v3 file.
///
/// Metadata keeps insertion order; tensors are written in the order added, each at an offset
/// that is the running sum of the aligned sizes of the tensors before it (what ggml requires),
/// with zero padding to the alignment after the tensor-info table and after every tensor.
/// Shapes are given row-major (like `GGUFTensorInfo.shape`) and stored reversed (`ne[0]` first).
/// `write(to:)` is atomic: temporary file in the same directory, fsync, rename.
public struct GGUFWriter: Sendable {
    private struct PendingTensor: Sendable {
        let name: String
        let type: GGMLType
        let dimensions: [Int]
        let bytes: [UInt8]
    }

    /// Alignment of the data section and of every tensor (a power of two; default 32).
    public let alignment: Int
    /// Metadata keys in the order they will be written.
    public private(set) var metadataKeys: [String] = []
    /// Metadata values by key.
    public private(set) var metadata: [String: GGUFValue] = [:]
    private var tensors: [PendingTensor] = []

    /// A writer with the given data alignment. A non-default alignment is recorded as
    /// `general.alignment` (UINT32) when the file is written.
    public init(alignment: Int = GGUFFile.defaultAlignment) {
        self.alignment = alignment
    }

    /// Names of the tensors added so far, in order.
    public var tensorNames: [String] { tensors.map(\.name) }

    /// Sets `key` to `value`; a new key goes to the end, an existing key keeps its place.
    public mutating func setValue(_ value: GGUFValue, forKey key: String) {
        if metadata.updateValue(value, forKey: key) == nil { metadataKeys.append(key) }
    }

    /// Adds a tensor of `type` with row-major `shape` whose encoded bytes are `bytes`.
    /// Throws `GGUFError.invalidWriterInput` if the name is empty, too long (ggml allows 63 bytes) or
    /// taken, the shape has 0 or more than 4 dimensions, the row length is not a whole number of
    /// blocks, or `bytes` has the wrong size.
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], bytes: [UInt8]) throws {
        func fail(_ reason: String) -> GGUFError { .invalidWriterInput(tensor: name, reason: reason) }
        guard !name.isEmpty, name.utf8.count < 64 else { throw fail("tensor names must be 1 to 63 bytes long") }
        guard !tensors.contains(where: { $0.name == name }) else { throw fail("duplicate tensor name") }
        guard (1 ... 4).contains(shape.count), shape.allSatisfy({ $0 >= 0 }) else {
            throw fail("shape \(shape) must have 1 to 4 non-negative dimensions")
        }
        let dimensions = Array(shape.reversed())
        guard dimensions[0] % type.blockSize == 0 else {
            throw fail("row length \(dimensions[0]) is not a multiple of the \(type) block size \(type.blockSize)")
        }
        let elements = shape.reduce(1, *)
        guard let expected = type.byteCount(elementCount: elements), expected == bytes.count else {
            throw fail("shape \(shape) of \(type) needs \(type.byteCount(elementCount: elements) ?? -1) bytes, got \(bytes.count)")
        }
        tensors.append(PendingTensor(name: name, type: type, dimensions: dimensions, bytes: bytes))
    }

    /// Adds an F32 tensor from floats (row-major `shape`).
    public mutating func addTensor(name: String, shape: [Int], floats: [Float]) throws {
        let bytes = floats.withUnsafeBytes { Array($0) }
        try addTensor(name: name, type: .f32, shape: shape, bytes: bytes)
    }

    /// Adds an F16 tensor from floats rounded to half precision (row-major `shape`).
    public mutating func addTensor(name: String, shape: [Int], halfPrecisionFloats floats: [Float]) throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(floats.count * 2)
        for f in floats {
            let h = HalfPrecision.halfBits(from: f)
            bytes.append(UInt8(h & 0xFF))
            bytes.append(UInt8(h >> 8))
        }
        try addTensor(name: name, type: .f16, shape: shape, bytes: bytes)
    }

    /// Header, metadata and tensor-info table, padded to the alignment.
    private func encodedPrologue(path: String) throws -> [UInt8] {
        guard alignment > 0, alignment & (alignment - 1) == 0 else {
            throw GGUFError.writeFailed(path: path, reason: "alignment \(alignment) is not a positive power of two")
        }
        var keys = metadataKeys
        var values = metadata
        if let stored = values["general.alignment"] {
            guard stored == .uint32(UInt32(alignment)) else {
                throw GGUFError.writeFailed(path: path,
                                            reason: "general.alignment is \(stored) but the writer aligns to \(alignment) (UINT32)")
            }
        } else if alignment != GGUFFile.defaultAlignment {
            keys.append("general.alignment")
            values["general.alignment"] = .uint32(UInt32(alignment))
        }
        var encoder = GGUFEncoder()
        encoder.append(UInt32(0x4655_4747))  // "GGUF" as a little-endian u32
        encoder.append(UInt32(3))
        encoder.append(UInt64(tensors.count))
        encoder.append(UInt64(keys.count))
        for key in keys {
            encoder.append(key)
            encoder.append(values[key]!)
        }
        var offset = 0
        for tensor in tensors {
            encoder.append(tensor.name)
            encoder.append(UInt32(tensor.dimensions.count))
            for dim in tensor.dimensions { encoder.append(UInt64(dim)) }
            encoder.append(tensor.type.rawValue)
            encoder.append(UInt64(offset))
            offset += GGUFFile.align(tensor.bytes.count, to: alignment)
        }
        encoder.appendZeros(GGUFFile.align(encoder.bytes.count, to: alignment) - encoder.bytes.count)
        return encoder.bytes
    }

    /// Writes the file atomically to `path` (replacing any existing file): through a temporary
    /// file in the same directory, fsynced and renamed (`AtomicFile`).
    public func write(to path: String) throws {
        let prologue = try encodedPrologue(path: path)
        do {
            try AtomicFile.write(to: URL(fileURLWithPath: path)) { temporary in
                guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                    throw GGUFError.writeFailed(path: path, reason: "cannot create temporary file \(temporary.path)")
                }
                let handle = try FileHandle(forWritingTo: temporary)
                defer { try? handle.close() }
                try handle.write(contentsOf: prologue)
                for tensor in tensors {
                    try handle.write(contentsOf: tensor.bytes)
                    let padding = GGUFFile.align(tensor.bytes.count, to: alignment) - tensor.bytes.count
                    if padding > 0 { try handle.write(contentsOf: [UInt8](repeating: 0, count: padding)) }
                }
            }
        } catch let error as GGUFError {
            throw error
        } catch {
            throw GGUFError.writeFailed(path: path, reason: "\(error)")
        }
    }
}
