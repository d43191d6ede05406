/// A GGUF (v2/v3) file opened read-only through a memory mapping.
///
/// Opening parses the header, every metadata record and the tensor-info table, and checks that
/// every tensor's bytes lie inside the file; tensor data is not touched until asked for. The
/// mapping stays alive for the life of the object (and of every `GGUFTensor` taken from it).
///
/// Layout facts used (see docs/formats.md §1): little-endian; magic `GGUF`; alignment from
/// `general.alignment` (default 32); data section starts at the first aligned offset after the
/// tensor-info table; each tensor's offset is relative to it.
public final class GGUFFile: Sendable {
    /// Alignment used when the file has no `general.alignment` key.
    public static let defaultAlignment = 32

    /// Path the file was opened from.
    public let path: String
    /// GGUF format version (2 or 3).
    public let version: UInt32
    /// Metadata values by key.
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Tensor-info records in file order.
    public let tensorInfos: [GGUFTensorInfo]
    /// Alignment of the data section and of every tensor offset.
    public let alignment: Int
    /// File offset where the tensor data section begins.
    public let dataStart: Int
    /// The whole mapped file.
    public let mapping: GGUFMemoryMap
    private let tensorIndex: [String: Int]

    /// Size of the file in bytes.
    public var fileSize: Int { mapping.bytes.count }
    /// Tensor names in file order.
    public var tensorNames: [String] { tensorInfos.map(\.name) }

    /// Opens and parses `path`. Throws a `GGUFError` naming the file and the problem.
    public init(path: String) throws {
        let mapping = try GGUFMemoryMap(path: path)
        var cursor = GGUFByteCursor(bytes: mapping.bytes, path: path)

        // Header.
        if mapping.bytes.count >= 4 {
            let magic = Array(mapping.bytes[0 ..< 4])
            guard magic == Array("GGUF".utf8) else { throw GGUFError.badMagic(path: path, found: magic) }
        }
        try cursor.require(24)
        cursor.position = 4
        let version = try cursor.read(UInt32.self)
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(path: path, version: version) }
        let tensorCount = try Self.count(try cursor.read(UInt64.self), what: "tensor count", path: path)
        let kvCount = try Self.count(try cursor.read(UInt64.self), what: "metadata count", path: path)
        // Reserve no more than the rest of the file could hold (a metadata record needs at least
        // 8+4+1 bytes, a tensor-info record 8+4+8+4+8), so a corrupt count cannot exhaust memory;
        // a count too large for the file then fails as a truncation where the data runs out.
        let metadataCapacity = min(kvCount, cursor.remaining / 13)
        let tensorCapacity = min(tensorCount, cursor.remaining / 32)

        // Metadata.
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        metadata.reserveCapacity(metadataCapacity)
        keys.reserveCapacity(metadataCapacity)
        for index in 0 ..< kvCount {
            cursor.section = "metadata record \(index) of \(kvCount)"
            let key = try cursor.readString()
            cursor.section = "metadata record \(index) ('\(key)')"
            let type = try GGUFMetadataParser.readValueType(key: key, cursor: &cursor)
            let value = try GGUFMetadataParser.readValue(type, key: key, cursor: &cursor)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw GGUFError.invalidMetadata(path: path, key: key, reason: "duplicate key")
            }
            keys.append(key)
        }
        let alignment = try Self.alignment(from: metadata, path: path)

        // Tensor-info table.
        var rawInfos: [(name: String, type: GGMLType, dims: [Int], offset: Int)] = []
        rawInfos.reserveCapacity(tensorCapacity)
        var tensorIndex: [String: Int] = [:]
        tensorIndex.reserveCapacity(tensorCapacity)
        for index in 0 ..< tensorCount {
            cursor.section = "tensor-info record \(index) of \(tensorCount)"
            let name = try cursor.readString()
            cursor.section = "tensor-info record \(index) ('\(name)')"
            let dimCount = try cursor.read(UInt32.self)
            guard (1 ... 4).contains(dimCount) else {
                throw GGUFError.invalidTensorInfo(path: path, tensor: name, reason: "\(dimCount) dimensions (expected 1 to 4)")
            }
            let rawDims = try cursor.readArray(of: UInt64.self, count: Int(dimCount))
            let typeID = try cursor.read(UInt32.self)
            let offset = try cursor.read(UInt64.self)
            guard let type = GGMLType(rawValue: typeID) else {
                throw GGUFError.unknownGGMLType(path: path, tensor: name, typeID: typeID)
            }
            guard rawDims.allSatisfy({ $0 <= UInt64(Int32.max) }), offset <= UInt64(Int.max / 2) else {
                throw GGUFError.invalidTensorInfo(path: path, tensor: name,
                                                  reason: "dimensions \(rawDims) or offset \(offset) out of range")
            }
            guard tensorIndex.updateValue(index, forKey: name) == nil else {
                throw GGUFError.invalidTensorInfo(path: path, tensor: name, reason: "duplicate tensor name")
            }
            rawInfos.append((name, type, rawDims.map { Int($0) }, Int(offset)))
        }

        // Data section and per-tensor placement.
        let dataStart = Self.align(cursor.position, to: alignment)
        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(rawInfos.count)
        for raw in rawInfos {
            let info = try Self.placeTensor(raw, dataStart: dataStart, alignment: alignment, path: path)
            infos.append(info)
        }
        try Self.checkDataFits(infos, fileSize: mapping.bytes.count, path: path)

        self.path = path
        self.version = version
        self.metadata = metadata
        self.metadataKeys = keys
        self.tensorInfos = infos
        self.alignment = alignment
        self.dataStart = dataStart
        self.mapping = mapping
        self.tensorIndex = tensorIndex
    }

    private static func count(_ raw: UInt64, what: String, path: String) throws -> Int {
        guard raw <= UInt64(Int32.max) else {
            throw GGUFError.invalidHeader(path: path, reason: "implausible \(what) \(raw)")
        }
        return Int(raw)
    }

    /// `x` rounded up to a multiple of `alignment`.
    public static func align(_ x: Int, to alignment: Int) -> Int {
        x + (alignment - x % alignment) % alignment
    }

    private static func alignment(from metadata: [String: GGUFValue], path: String) throws -> Int {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard let alignment = value.intValue, alignment > 0, alignment & (alignment - 1) == 0 else {
            throw GGUFError.invalidMetadata(path: path, key: "general.alignment",
                                            reason: "\(value) is not a positive power of two")
        }
        return alignment
    }

    private static func placeTensor(_ raw: (name: String, type: GGMLType, dims: [Int], offset: Int),
                                    dataStart: Int, alignment: Int, path: String) throws -> GGUFTensorInfo {
        guard raw.offset % alignment == 0 else {
            throw GGUFError.invalidTensorInfo(path: path, tensor: raw.name,
                                              reason: "offset \(raw.offset) is not a multiple of the alignment \(alignment)")
        }
        guard raw.dims[0] % raw.type.blockSize == 0 else {
            throw GGUFError.invalidTensorInfo(path: path, tensor: raw.name,
                                              reason: "row length \(raw.dims[0]) is not a multiple of the \(raw.type) block size \(raw.type.blockSize)")
        }
        var elements = 1
        for dim in raw.dims {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else {
                throw GGUFError.invalidTensorInfo(path: path, tensor: raw.name, reason: "element count overflows")
            }
            elements = product
        }
        guard let bytes = raw.type.byteCount(elementCount: elements), bytes <= Int.max / 4 else {
            throw GGUFError.invalidTensorInfo(path: path, tensor: raw.name, reason: "byte size overflows")
        }
        return GGUFTensorInfo(name: raw.name, type: raw.type, dimensions: raw.dims, relativeOffset: raw.offset,
                              fileOffset: dataStart + raw.offset, byteCount: bytes)
    }

    /// Throws `tensorDataPastEnd` for the first tensor (by file offset) that does not fit.
    private static func checkDataFits(_ infos: [GGUFTensorInfo], fileSize: Int, path: String) throws {
        var firstBad: GGUFTensorInfo?
        var required = fileSize
        for info in infos where info.fileRange.upperBound > fileSize {
            required = max(required, info.fileRange.upperBound)
            if firstBad == nil || info.fileOffset < firstBad!.fileOffset { firstBad = info }
        }
        if let bad = firstBad {
            throw GGUFError.tensorDataPastEnd(path: path, tensor: bad.name, end: bad.fileRange.upperBound,
                                              fileSize: fileSize, requiredFileSize: required)
        }
    }

    // MARK: Tensors

    /// The tensor called `name`, or nil.
    public func tensor(named name: String) -> GGUFTensor? {
        tensorIndex[name].map { GGUFTensor(info: tensorInfos[$0], mapping: mapping) }
    }

    /// The tensor called `name`; throws `GGUFError.tensorNotFound` if absent.
    public func requireTensor(_ name: String) throws -> GGUFTensor {
        guard let tensor = tensor(named: name) else { throw GGUFError.tensorNotFound(path: path, name: name) }
        return tensor
    }

    /// All tensors in file order.
    public var tensors: [GGUFTensor] { tensorInfos.map { GGUFTensor(info: $0, mapping: mapping) } }
}
