import Foundation
import GraftIO
import XCTest

/// SHA-256 and SHA-1 (git blob ids) against the FIPS 180 examples and Python's hashlib
/// (scripts/fixtures/hub.py).
final class HashingTests: XCTestCase {
    struct Reference: Decodable {
        let length: Int
        let sha256: String
        let gitBlobID: String
        enum CodingKeys: String, CodingKey { case length, sha256, gitBlobID = "git_blob_id" }
    }

    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(($0 * 131 + 7) % 251) } }

    static func references() throws -> [Reference] {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("hub/hashes.json")
        return try JSONDecoder().decode([Reference].self, from: Data(contentsOf: url))
    }

    /// The examples published with FIPS 180-2.
    func testSHA256KnownVectors() {
        XCTAssertEqual(SHA256.hexString(SHA256.hash(Array("abc".utf8))),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hexString(SHA256.hash([])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hexString(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hexString(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var sha1 = SHA1()
        sha1.update(Array("abc".utf8))
        XCTAssertEqual(SHA256.hexString(sha1.finalize()), "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    /// Every length around the block boundaries, fed whole and in uneven pieces, as files too.
    func testAgainstHashlib() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graft-hash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for reference in try Self.references() {
            let bytes = Self.pattern(reference.length)
            XCTAssertEqual(SHA256.hexString(SHA256.hash(bytes)), reference.sha256, "length \(reference.length)")
            var pieces = SHA256()
            var start = 0, step = 1
            while start < bytes.count {
                let end = min(bytes.count, start + step)
                pieces.update(Array(bytes[start..<end]))
                start = end
                step = step * 3 % 97 + 1
            }
            XCTAssertEqual(SHA256.hexString(pieces.finalize()), reference.sha256, "pieces, length \(reference.length)")
            let file = folder.appendingPathComponent("\(reference.length)")
            try Data(bytes).write(to: file)
            XCTAssertEqual(try SHA256.hexDigest(ofFile: file), reference.sha256, "file, length \(reference.length)")
            XCTAssertEqual(try SHA1.gitBlobID(ofFile: file), reference.gitBlobID, "git blob id, length \(reference.length)")
        }
    }
}
