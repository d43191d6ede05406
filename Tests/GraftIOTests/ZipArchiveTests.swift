import Foundation
import GraftIO
import XCTest

/// The zip reader and inflater against archives written by Python's zipfile (stored, deflate
/// levels 1 and 9; text, noise, runs, an empty file, a file in a folder), and broken archives.
final class ZipArchiveTests: XCTestCase {
    struct Expected: Decodable { let size: Int; let sha256: String }

    var folder: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("hub") }

    func testEntriesMatchPythonZipfile() throws {
        let expected = try JSONDecoder().decode([String: [String: Expected]].self,
                                                from: Data(contentsOf: folder.appendingPathComponent("archives.json")))
        XCTAssertEqual(expected.count, 3)
        for (archiveName, files) in expected {
            let archive = try ZipArchive(url: folder.appendingPathComponent(archiveName))
            XCTAssertEqual(Set(archive.entries.map(\.name)), Set(files.keys), archiveName)
            for entry in archive.entries {
                let bytes = try archive.contents(of: entry)
                XCTAssertEqual(bytes.count, files[entry.name]!.size, "\(archiveName) \(entry.name)")
                XCTAssertEqual(SHA256.hexString(SHA256.hash(bytes)), files[entry.name]!.sha256, "\(archiveName) \(entry.name)")
            }
        }
    }

    /// Flipped bytes anywhere in the deflated data give an ArchiveError naming the archive, never a crash.
    func testCorruptDataIsReported() throws {
        let original = try Data(contentsOf: folder.appendingPathComponent("deflate9.zip"))
        let archive = try ZipArchive(url: folder.appendingPathComponent("deflate9.zip"))
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("graft-zip-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: work) }
        var failures = 0
        for position in stride(from: 40, to: 47000, by: 997) {
            var damaged = original
            damaged[position] ^= 0x5a
            try damaged.write(to: work)
            guard let reopened = try? ZipArchive(url: work) else { failures += 1; continue }
            for entry in reopened.entries {
                do {
                    let bytes = try reopened.contents(of: entry)
                    XCTAssertEqual(bytes, try archive.contents(of: entry), "undetected damage at \(position) in \(entry.name)")
                } catch let error as ArchiveError {
                    XCTAssertTrue(error.description.contains(work.path), error.description)
                    failures += 1
                }
            }
        }
        XCTAssertGreaterThan(failures, 20)
    }

    func testTruncatedAndForeignFilesAreReported() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("graft-zip-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: work) }
        let original = try Data(contentsOf: folder.appendingPathComponent("deflate1.zip"))
        for bytes in [original.prefix(original.count - 30), original.prefix(10), Data(), Data(repeating: 7, count: 5000)] {
            try bytes.write(to: work)
            XCTAssertThrowsError(try ZipArchive(url: work)) { error in
                XCTAssertTrue("\(error)".contains(work.path), "\(error)")
            }
        }
    }
}
