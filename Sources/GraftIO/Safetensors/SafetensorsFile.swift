import Foundation

/// A safetensors file opened for reading: the header is parsed and validated up front, the
/// data stays memory-mapped and is read lazily. Immutable, so it can be shared across threads.
public final class SafetensorsFile: @unchecked Sendable {
    private enum Storage {
        case mapped(MappedFile)
        case memory(Data)
    }

    /// The file name used in errors (the path, or the name given to ``init(data:name:)``).
    public let path: String
    /// The `__metadata__` map (nil when absent or `null`).
    public let metadata: [String: String]?
    /// All tensors in data order (ascending offsets).
    public let tensors: [SafetensorsTensorInfo]
    private let byName: [String: SafetensorsTensorInfo]
    private let dataStart: Int
    private let storage: Storage

    /// Maps and parses the file at `url`.
    public convenience init(contentsOf url: URL) throws {
        let mapped = try MappedFile(path: url.path)
        try self.init(storage: .mapped(mapped), path: url.path)
    }

    /// Parses a complete safetensors image held in memory; `name` appears in errors.
    public convenience init(data: Data, name: String = "<memory>") throws {
        try self.init(storage: .memory(data), path: name)
    }

    private init(storage: Storage, path: String) throws {
        let header: SafetensorsHeader
        switch storage {
        case .mapped(let file): header = try SafetensorsHeader.parse(file.bytes, file: path)
        case .memory(let data): header = try data.withUnsafeBytes { try SafetensorsHeader.parse($0, file: path) }
        }
        self.path = path
        self.storage = storage
        self.metadata = header.metadata
        self.tensors = header.tensors
        self.dataStart = header.dataStart
        self.byName = Dictionary(header.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Tensor names in ascending order.
    public var tensorNames: [String] { byName.keys.sorted() }

    /// True if the file holds a tensor named `name`.
    public func contains(_ name: String) -> Bool { byName[name] != nil }

    /// dtype, shape and byte range of tensor `name`.
    public func info(_ name: String) throws -> SafetensorsTensorInfo {
        guard let info = byName[name] else { throw SafetensorsError(file: path, .tensorNotFound(name)) }
        return info
    }

    /// Calls `body` with the raw little-endian bytes of tensor `name` (valid only inside
    /// `body`; not necessarily aligned for the element type).
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let info = try info(name)
        let range = (dataStart + info.dataOffsets.lowerBound)..<(dataStart + info.dataOffsets.upperBound)
        switch storage {
        case .mapped(let file):
            return try body(UnsafeRawBufferPointer(rebasing: file.bytes[range]))
        case .memory(let data):
            return try data.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range])) }
        }
    }

    /// A copy of the raw bytes of tensor `name`.
    public func rawData(_ name: String) throws -> Data {
        try withRawBytes(name) { Data($0) }
    }

    /// Tensor `name` converted to `Float` in row-major order: exact for F32, F16, BF16 and
    /// small integers; F64 and large integers are rounded; BOOL gives 0 or 1.
    public func floats(_ name: String) throws -> [Float] {
        let info = try info(name)
        let values = try withRawBytes(name) {
            SafetensorsConversion.floats(from: $0, dtype: info.dtype, count: info.elementCount)
        }
        guard let values else { throw SafetensorsError(file: path, .unsupportedConversion(tensor: name, dtype: info.dtype)) }
        return values
    }
}
