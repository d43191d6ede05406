import Foundation
import GraftIO
import XCTest

/// Bad input gives a `GGUFError` naming the file and the problem: truncated copies of the real
/// model, bad magic, wrong version, unknown ggml type, accessor misuse.
final class GGUFErrorTests: XCTestCase {
    nonisolated(unsafe) private static let facts = try! GGUFTestSupport.json("smollm2_facts.json")

    /// Writes the first `length` bytes of `source` (optionally patched) to a temporary file.
    private func prefixCopy(of source: String, length: Int, patch: ((inout Data) -> Void)? = nil) throws -> String {
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: source))
        defer { try? handle.close() }
        var data = try handle.read(upToCount: length) ?? Data()
        XCTAssertEqual(data.count, length)
        patch?(&data)
        let url = try GGUFTestSupport.temporaryDirectory(self).appendingPathComponent("copy.gguf")
        try data.write(to: url)
        return url.path
    }

    private func openError(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> GGUFError? {
        do {
            _ = try GGUFFile(path: path)
            XCTFail("opening \(path) should fail", file: file, line: line)
            return nil
        } catch let error as GGUFError {
            XCTAssertTrue(error.description.contains(path), "error does not name the file: \(error)", file: file, line: line)
            return error
        } catch {
            XCTFail("unexpected error type \(error)", file: file, line: line)
            return nil
        }
    }

    func testMissingFile() {
        let path = "/nonexistent-\(UUID().uuidString)/model.gguf"
        XCTAssertEqual(openError(path), .fileNotFound(path: path))
    }

    func testDirectoryIsRejected() throws {
        let dir = try GGUFTestSupport.temporaryDirectory(self).path
        guard case .cannotOpen = openError(dir) else { return XCTFail("expected cannotOpen") }
    }

    func testBadMagic() throws {
        let path = try prefixCopy(of: GGUFTestSupport.requireModel(), length: 4096) { $0[0] = UInt8(ascii: "X") }
        guard case let .badMagic(_, found) = openError(path) else { return XCTFail("expected badMagic") }
        XCTAssertEqual(found, [UInt8(ascii: "X"), UInt8(ascii: "G"), UInt8(ascii: "U"), UInt8(ascii: "F")])
    }

    func testNotAGGUFTextFile() throws {
        let url = try GGUFTestSupport.temporaryDirectory(self).appendingPathComponent("notes.txt")
        try Data("hello, this is not a model\n".utf8).write(to: url)
        guard case .badMagic = openError(url.path) else { return XCTFail("expected badMagic") }
    }

    func testUnsupportedVersion() throws {
        for version: UInt8 in [1, 4] {
            let path = try prefixCopy(of: GGUFTestSupport.requireModel(), length: 4096) { $0[4] = version }
            XCTAssertEqual(openError(path), .unsupportedVersion(path: path, version: UInt32(version)))
        }
    }

    func testTruncatedInsideHeader() throws {
        for length in [0, 3, 10, 23] {
            let path = try prefixCopy(of: GGUFTestSupport.requireModel(), length: length)
            guard case let .truncated(_, section, _, _, fileSize) = openError(path) else {
                XCTFail("expected truncated for \(length) bytes"); continue
            }
            XCTAssertTrue(section.hasPrefix("header"), section)
            XCTAssertEqual(fileSize, length)
        }
    }

    func testTruncatedInsideMetadata() throws {
        // 1000 bytes end inside the metadata records (the token list alone is far longer).
        let path = try prefixCopy(of: GGUFTestSupport.requireModel(), length: 1000)
        guard case let .truncated(_, section, _, _, _) = openError(path) else { return XCTFail("expected truncated") }
        XCTAssertTrue(section.hasPrefix("metadata record"), section)
    }

    func testTruncatedInsideTensorTable() throws {
        let tensors = Self.facts["tensors"] as! [[String: Any]]
        let dataOffset = Self.facts["data_offset"] as! Int
        // 40 bytes before the data section lies inside the last tensor-info records.
        let path = try prefixCopy(of: GGUFTestSupport.requireModel(), length: dataOffset - 40)
        guard case let .truncated(_, section, _, _, _) = openError(path) else { return XCTFail("expected truncated") }
        XCTAssertTrue(section.hasPrefix("tensor-info record"), section)
        let lastName = tensors.last!["name"] as! String
        XCTAssertTrue(section.contains(lastName) || section.contains("of \(tensors.count)"), section)
    }

    func testTruncatedInsideTensorData() throws {
        let tensors = Self.facts["tensors"] as! [[String: Any]]
        let fileSize = Self.facts["file_size"] as! Int
        let cut = fileSize - 1000
        // The first tensor (by offset) that no longer fits, as gguf-py placed them.
        let ends = tensors.map { ($0["name"] as! String, ($0["file_offset"] as! Int) + ($0["n_bytes"] as! Int),
                                  $0["file_offset"] as! Int) }
        let victim = ends.filter { $0.1 > cut }.min { $0.2 < $1.2 }!
        let path = try prefixCopy(of: GGUFTestSupport.requireModel(), length: cut)
        let error = openError(path)
        XCTAssertEqual(error, .tensorDataPastEnd(path: path, tensor: victim.0, end: victim.1, fileSize: cut,
                                                 requiredFileSize: ends.map(\.1).max()!))
        XCTAssertEqual(error?.missingByteCount, victim.1 - cut)
        XCTAssertTrue(error!.description.contains("'\(victim.0)'"), error!.description)
        XCTAssertTrue(error!.description.contains("\(victim.1 - cut) bytes past the end"), error!.description)
    }

    func testUnknownGGMLType() throws {
        let model = try GGUFTestSupport.requireModel()
        let dataOffset = Self.facts["data_offset"] as! Int
        let first = (Self.facts["tensors"] as! [[String: Any]])[0]
        let name = first["name"] as! String
        let dims = (first["ne"] as! [Int]).count
        let path = try prefixCopy(of: model, length: dataOffset) { data in
            // Find the first tensor-info record: u64 length + name, then n_dims, ne[], type.
            var record = Data()
            withUnsafeBytes(of: UInt64(name.utf8.count).littleEndian) { record.append(contentsOf: $0) }
            record.append(contentsOf: Array(name.utf8))
            let start = data.range(of: record)!.upperBound
            let typeOffset = start + 4 + 8 * dims
            data.replaceSubrange(typeOffset ..< typeOffset + 4, with: [99, 0, 0, 0])
        }
        XCTAssertEqual(openError(path), .unknownGGMLType(path: path, tensor: name, typeID: 99))
    }

    /// Patches the value-type field (or the value's first byte) of metadata record `key` in a copy
    /// of mixed_types.gguf.
    private func patchedMixedFixture(key: String, valueTypeTo newType: UInt32? = nil, firstValueByteTo byte: UInt8? = nil) throws -> String {
        let source = GGUFTestSupport.fixturePath("mixed_types.gguf")
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: source)[.size] as? Int)
        return try prefixCopy(of: source, length: size) { data in
            var encodedKey = Data()
            withUnsafeBytes(of: UInt64(key.utf8.count).littleEndian) { encodedKey.append(contentsOf: $0) }
            encodedKey.append(contentsOf: Array(key.utf8))
            let typeOffset = data.range(of: encodedKey)!.upperBound
            if let newType {
                withUnsafeBytes(of: newType.littleEndian) { data.replaceSubrange(typeOffset ..< typeOffset + 4, with: $0) }
            }
            if let byte { data[typeOffset + 4] = byte }
        }
    }

    func testMalformedMetadataRecords() throws {
        let badBool = try patchedMixedFixture(key: "test.bool_true", firstValueByteTo: 2)
        guard case .invalidMetadata(_, "test.bool_true", _) = openError(badBool) else { return XCTFail("expected invalidMetadata") }
        let badType = try patchedMixedFixture(key: "test.uint8", valueTypeTo: 13)
        XCTAssertEqual(openError(badType), .invalidMetadata(path: badType, key: "test.uint8", reason: "unknown value type 13"))
        // Turning the UINT8 array into an array of arrays is refused (ggml rejects nested arrays).
        let nested = try patchedMixedFixture(key: "test.array_uint8", firstValueByteTo: UInt8(GGUFValueType.array.rawValue))
        guard case .invalidMetadata(_, "test.array_uint8", _) = openError(nested) else { return XCTFail("expected invalidMetadata") }
    }

    func testAccessorMisuse() throws {
        let file = try GGUFFile(path: GGUFTestSupport.fixturePath("mixed_types.gguf"))
        XCTAssertThrowsError(try file.int("test.string")) { error in
            guard case GGUFError.typeMismatch(_, "test.string", _, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("mixed_types.gguf"))
        }
        XCTAssertThrowsError(try file.string("test.uint32"))
        XCTAssertThrowsError(try file.float("test.int32"))
        XCTAssertThrowsError(try file.stringArray("test.array_int8"))
        XCTAssertThrowsError(try file.floatArray("test.array_string"))
        XCTAssertThrowsError(try file.bool("test.uint8"))
        XCTAssertThrowsError(try file.requiredString("absent.key")) { error in
            XCTAssertEqual(error as? GGUFError, .missingKey(path: file.path, key: "absent.key"))
        }
        XCTAssertNil(file.tensor(named: "absent"))
        XCTAssertThrowsError(try file.requireTensor("absent")) { error in
            XCTAssertEqual(error as? GGUFError, .tensorNotFound(path: file.path, name: "absent"))
        }
        XCTAssertThrowsError(try file.requireTensor("q4_k.matrix").floatRow(2))
    }
}
