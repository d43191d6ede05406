import Foundation

/// Where one tensor lives in a safetensors file.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    /// The tensor's key in the header.
    public let name: String
    /// Element type.
    public let dtype: SafetensorsDType
    /// Dimensions, row-major (PyTorch order); `[]` is a scalar.
    public let shape: [Int]
    /// Byte range relative to the start of the data buffer (after the header).
    public let dataOffsets: Range<Int>

    /// Creates a tensor description.
    public init(name: String, dtype: SafetensorsDType, shape: [Int], dataOffsets: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.dataOffsets = dataOffsets
    }

    /// Number of elements (`1` for a scalar, `0` if any dimension is 0).
    public var elementCount: Int { shape.reduce(1, *) }
    /// Number of data bytes.
    public var byteCount: Int { dataOffsets.count }
}

/// The parsed and validated header of a safetensors file.
struct SafetensorsHeader: Sendable {
    /// Limit used by the reference library.
    static let maximumLength: UInt64 = 100_000_000

    /// `__metadata__`, nil when absent or JSON null.
    let metadata: [String: String]?
    /// Tensors in data order (ascending offsets).
    let tensors: [SafetensorsTensorInfo]
    /// Offset of the data buffer from the start of the file.
    let dataStart: Int

    /// Parses `bytes` (a whole file) and checks that the tensors tile the data buffer
    /// exactly, as the reference library requires.
    static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws -> SafetensorsHeader {
        func fail(_ kind: SafetensorsError.Kind) -> SafetensorsError { SafetensorsError(file: file, kind) }
        guard bytes.count >= 8 else { throw fail(.truncatedHeader(fileSize: bytes.count)) }
        let length = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard length <= maximumLength else { throw fail(.headerTooLarge(length: length)) }
        guard 8 + Int(length) <= bytes.count else {
            throw fail(.headerBeyondFile(length: length, fileSize: bytes.count))
        }
        let headerBytes = Data(bytes[8..<(8 + Int(length))])
        guard String(data: headerBytes, encoding: .utf8) != nil else {
            throw fail(.invalidHeader("header is not valid UTF-8"))
        }
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw fail(.invalidHeader("header does not start with '{'"))
        }
        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: headerBytes)
        } catch let error as EntryError {
            throw fail(error.kind)
        } catch {
            throw fail(.invalidHeader("not a JSON object: \(describe(error))"))
        }
        let dataStart = 8 + Int(length)
        let tensors = try validate(raw.tensors, dataLength: bytes.count - dataStart, fail: fail)
        return SafetensorsHeader(metadata: raw.metadata, tensors: tensors, dataStart: dataStart)
    }

    /// Sorts tensors by offset and checks sizes, bounds, overlaps and gaps.
    private static func validate(_ tensors: [SafetensorsTensorInfo], dataLength: Int,
                                 fail: (SafetensorsError.Kind) -> SafetensorsError) throws -> [SafetensorsTensorInfo] {
        let sorted = tensors.sorted {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name)
                < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name)
        }
        var expectedStart = 0
        var previous: String?
        for tensor in sorted {
            let range = tensor.dataOffsets
            guard range.upperBound <= dataLength else {
                throw fail(.invalidOffsets(tensor: tensor.name, reason:
                    "[\(range.lowerBound), \(range.upperBound)) lies beyond the data buffer of \(dataLength) bytes"))
            }
            if range.lowerBound < expectedStart, let previous {
                throw fail(.invalidOffsets(tensor: tensor.name, reason: "overlaps tensor '\(previous)'"))
            }
            if range.lowerBound > expectedStart {
                throw fail(.invalidOffsets(tensor: tensor.name, reason:
                    "gap of \(range.lowerBound - expectedStart) unused bytes before it"))
            }
            var needed = tensor.dtype.byteSize
            for dimension in tensor.shape {
                let (product, overflow) = needed.multipliedReportingOverflow(by: dimension)
                guard !overflow else {
                    throw fail(.invalidTensorEntry(tensor: tensor.name, reason: "shape \(tensor.shape) overflows"))
                }
                needed = product
            }
            guard needed == range.count else {
                throw fail(.invalidOffsets(tensor: tensor.name, reason:
                    "span \(range.count) bytes but shape \(tensor.shape) of \(tensor.dtype.rawValue) needs \(needed)"))
            }
            expectedStart = range.upperBound
            previous = tensor.name
        }
        guard expectedStart == dataLength else {
            throw fail(.invalidOffsets(tensor: previous ?? "(none)", reason:
                "data buffer has \(dataLength - expectedStart) bytes after the last tensor"))
        }
        return sorted
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context),
             DecodingError.valueNotFound(_, let context), DecodingError.keyNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// A malformed entry found while decoding; mapped to a ``SafetensorsError`` with the file.
private struct EntryError: Error {
    let kind: SafetensorsError.Kind
}

private struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The header JSON: `__metadata__` plus one entry per tensor.
private struct RawHeader: Decodable {
    var metadata: [String: String]?
    var tensors: [SafetensorsTensorInfo] = []

    private struct Entry: Decodable {
        let dtype: String
        let shape: [Int]
        // swiftlint:disable:next identifier_name
        let data_offsets: [Int]
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: DynamicKey.self)
        for key in container.allKeys {
            let name = key.stringValue
            if name == "__metadata__" {
                if try container.decodeNil(forKey: key) { continue }
                do {
                    metadata = try container.decode([String: String].self, forKey: key)
                } catch {
                    throw EntryError(kind: .invalidTensorEntry(tensor: name, reason: "must map strings to strings"))
                }
                continue
            }
            let entry: Entry
            do {
                entry = try container.decode(Entry.self, forKey: key)
            } catch {
                throw EntryError(kind: .invalidTensorEntry(tensor: name, reason: SafetensorsHeader.describe(error)))
            }
            guard let dtype = SafetensorsDType(rawValue: entry.dtype) else {
                throw EntryError(kind: .unknownDType(tensor: name, dtype: entry.dtype))
            }
            guard entry.shape.allSatisfy({ $0 >= 0 }) else {
                throw EntryError(kind: .invalidTensorEntry(tensor: name, reason: "negative dimension in \(entry.shape)"))
            }
            guard entry.data_offsets.count == 2, entry.data_offsets[0] >= 0,
                  entry.data_offsets[0] <= entry.data_offsets[1] else {
                throw EntryError(kind: .invalidOffsets(tensor: name, reason:
                    "\(entry.data_offsets) is not a [begin, end] pair with 0 <= begin <= end"))
            }
            tensors.append(SafetensorsTensorInfo(name: name, dtype: dtype, shape: entry.shape,
                                                 dataOffsets: entry.data_offsets[0]..<entry.data_offsets[1]))
        }
    }
}
