import Foundation

/// A read-only zip archive (such as a Python wheel): its central directory, and entries
/// extracted with their CRC-32 checked. Stored and deflated entries are supported; zip64,
/// encryption and multi-disk archives are refused with an ``ArchiveError``.
public final class ZipArchive: @unchecked Sendable {
    /// One file of the archive, as its central directory describes it.
    public struct Entry: Sendable, Equatable {
        /// Path inside the archive.
        public let name: String
        /// 0 = stored, 8 = deflated.
        public let method: Int
        /// CRC-32 of the uncompressed bytes.
        public let crc32: UInt32
        /// Bytes in the archive.
        public let compressedSize: Int
        /// Bytes once extracted.
        public let uncompressedSize: Int
        /// Offset of the entry's local header.
        let localHeaderOffset: Int
    }

    /// The archive file.
    public let url: URL
    /// Every entry, in central-directory order.
    public let entries: [Entry]
    private let file: MappedFile

    /// Opens the archive at `url` and reads its central directory.
    /// - Throws: ``ArchiveError`` naming the file when it is unreadable or not a zip archive.
    public init(url: URL) throws {
        self.url = url
        do { file = try MappedFile(path: url.path) } catch { throw ArchiveError(path: url.path, "cannot read the file: \(error)") }
        entries = try Self.readCentralDirectory(file.bytes, path: url.path)
    }

    /// The uncompressed bytes of `entry`, checked against its CRC-32.
    /// - Throws: ``ArchiveError`` for unsupported methods, corrupt data or a CRC mismatch.
    public func contents(of entry: Entry) throws -> [UInt8] {
        let bytes = file.bytes
        let name = "\(url.path) (\(entry.name))"
        let header = entry.localHeaderOffset
        guard header + 30 <= bytes.count, Self.uint32(bytes, header) == 0x0403_4b50 else {
            throw ArchiveError(path: name, "local file header missing")
        }
        let start = header + 30 + Int(Self.uint16(bytes, header + 26)) + Int(Self.uint16(bytes, header + 28))
        guard start + entry.compressedSize <= bytes.count else { throw ArchiveError(path: name, "entry data runs past the end of the archive") }
        let data = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + entry.compressedSize)])
        let output: [UInt8]
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else { throw ArchiveError(path: name, "stored entry with two sizes") }
            output = Array(data)
        case 8:
            output = try Inflate.decompress(data, uncompressedSize: entry.uncompressedSize, name: name)
        default:
            throw ArchiveError(path: name, "compression method \(entry.method) is not supported (only stored and deflate)")
        }
        let crc = output.withUnsafeBytes { CRC32.checksum($0) }
        guard crc == entry.crc32 else {
            throw ArchiveError(path: name, String(format: "CRC-32 mismatch: %08x, expected %08x", crc, entry.crc32))
        }
        return output
    }

    private static func uint16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    private static func uint32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    private static func readCentralDirectory(_ bytes: UnsafeRawBufferPointer, path: String) throws -> [Entry] {
        // End-of-central-directory record: 22 bytes plus a comment of up to 65535 bytes.
        guard bytes.count >= 22 else { throw ArchiveError(path: path, "not a zip archive (\(bytes.count) bytes)") }
        var end = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65535)
        while end >= lowest && uint32(bytes, end) != 0x0605_4b50 { end -= 1 }
        guard end >= lowest else { throw ArchiveError(path: path, "not a zip archive (no end of central directory)") }
        let count = Int(uint16(bytes, end + 10))
        let directorySize = Int(uint32(bytes, end + 12)), directoryOffset = Int(uint32(bytes, end + 16))
        guard directoryOffset != 0xffff_ffff, count != 0xffff else { throw ArchiveError(path: path, "zip64 archives are not supported") }
        guard directoryOffset + directorySize <= end else { throw ArchiveError(path: path, "central directory out of bounds") }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var offset = directoryOffset
        for index in 0..<count {
            guard offset + 46 <= end, uint32(bytes, offset) == 0x0201_4b50 else {
                throw ArchiveError(path: path, "central directory entry \(index) is malformed")
            }
            let nameLength = Int(uint16(bytes, offset + 28))
            let extraLength = Int(uint16(bytes, offset + 30)), commentLength = Int(uint16(bytes, offset + 32))
            guard offset + 46 + nameLength <= end else { throw ArchiveError(path: path, "central directory entry \(index) is malformed") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(offset + 46)..<(offset + 46 + nameLength)]), as: UTF8.self)
            if uint16(bytes, offset + 8) & 1 != 0 { throw ArchiveError(path: path, "entry \(name) is encrypted") }
            let entry = Entry(name: name, method: Int(uint16(bytes, offset + 10)), crc32: uint32(bytes, offset + 16),
                              compressedSize: Int(uint32(bytes, offset + 20)), uncompressedSize: Int(uint32(bytes, offset + 24)),
                              localHeaderOffset: Int(uint32(bytes, offset + 42)))
            guard entry.compressedSize != 0xffff_ffff, entry.uncompressedSize != 0xffff_ffff, entry.localHeaderOffset != 0xffff_ffff else {
                throw ArchiveError(path: path, "entry \(name) needs zip64, which is not supported")
            }
            entries.append(entry)
            offset += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }
}
