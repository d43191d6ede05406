import Foundation
import GraftIO
import XCTest

/// AtomicFile: replacement, clean-up of the temporary file, error reporting.
final class AtomicFileTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try HDF5TestSupport.temporaryDirectory(for: self)
    }

    private func directoryEntries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    func testReplacesContentAndLeavesNoTemporaryFile() throws {
        let url = directory.appendingPathComponent("state.json")
        try AtomicFile.write(Data("old".utf8), to: url)
        try AtomicFile.write(Data("new contents".utf8), to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "new contents")
        XCTAssertEqual(try directoryEntries(), ["state.json"])
    }

    func testWriterThatThrowsKeepsOldFileAndRemovesTemporary() throws {
        struct Interrupted: Error {}
        let url = directory.appendingPathComponent("state.json")
        try AtomicFile.write(Data("old".utf8), to: url)
        var temporaryPath = ""
        XCTAssertThrowsError(try AtomicFile.write(to: url) { temporary in
            temporaryPath = temporary.path
            try Data("half-writ".utf8).write(to: temporary)
            throw Interrupted()
        }) { error in XCTAssertTrue(error is Interrupted) }
        XCTAssertEqual(URL(fileURLWithPath: temporaryPath).deletingLastPathComponent().standardizedFileURL.path,
                       directory.standardizedFileURL.path, "temporary file lives next to the destination")
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "old")
        XCTAssertEqual(try directoryEntries(), ["state.json"])
    }

    func testFailureToRenameNamesDestinationAndStep() throws {
        let url = directory.appendingPathComponent("occupied")
        try FileManager.default.createDirectory(at: url.appendingPathComponent("child"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: url)) { error in
            let error = error as? AtomicFileError
            XCTAssertEqual(error?.step, "rename temporary file")
            XCTAssertEqual(error?.path, url.standardizedFileURL.path)
        }
        XCTAssertEqual(try directoryEntries(), ["occupied"])
    }

    func testWriterWithoutOutputFailsAtFsync() throws {
        let url = directory.appendingPathComponent("never-written")
        XCTAssertThrowsError(try AtomicFile.write(to: url) { _ in }) { error in
            XCTAssertEqual((error as? AtomicFileError)?.step, "fsync temporary file")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    func testStaleTemporariesOfLiveProcessesAreKept() throws {
        let url = directory.appendingPathComponent("state.json")
        try AtomicFile.write(Data("x".utf8), to: url)
        let live = ".state.json.tmp-\(ProcessInfo.processInfo.processIdentifier)-1"
        try Data("partial".utf8).write(to: directory.appendingPathComponent(live))
        try Data("other".utf8).write(to: directory.appendingPathComponent(".other.tmp-1-1"))
        XCTAssertEqual(try AtomicFile.removeStaleTemporaries(for: url), [])
        XCTAssertEqual(try directoryEntries(), [".other.tmp-1-1", live, "state.json"])
    }

    func testHDF5WriteAtomicallyKeepsPreviousCheckpointWhenBodyThrows() throws {
        struct Interrupted: Error {}
        let url = directory.appendingPathComponent("checkpoint.h5")
        try HDF5File.writeAtomically(to: url) { file in try file.root.setAttribute("generation", Int64(1)) }
        XCTAssertThrowsError(try HDF5File.writeAtomically(to: url) { file in
            try file.root.setAttribute("generation", Int64(2))
            try file.root.writeDataset("partial", [1, 2, 3] as [Float])
            throw Interrupted()
        })
        XCTAssertEqual(try HDF5File.open(url).root.attribute("generation").int64Value, 1)
        XCTAssertEqual(try directoryEntries(), ["checkpoint.h5"])
    }
}
