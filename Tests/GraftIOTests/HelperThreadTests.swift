import Foundation
import GraftIO
import XCTest

/// HelperThread: the work runs on another thread, its value or error comes back.
final class HelperThreadTests: XCTestCase {
    struct Failure: Error, Equatable { let code: Int }

    func testRunsOnAnotherThreadAndReturnsTheValue() throws {
        let caller = Thread.current
        let (value, ranElsewhere) = try HelperThread.run { (41 + 1, Thread.current != caller) }
        XCTAssertEqual(value, 42)
        XCTAssertTrue(ranElsewhere)
    }

    func testRethrowsTheError() {
        XCTAssertThrowsError(try HelperThread.run { () throws -> Int in throw Failure(code: 7) }) {
            XCTAssertEqual($0 as? Failure, Failure(code: 7))
        }
    }

    /// HDF5's error printing is per thread: a failing read on a helper thread must still come
    /// back as an error without HDF5 writing its error stack to stderr.
    func testCheckpointErrorsOnTheHelperThreadPrintNothing() throws {
        let directory = try HDF5TestSupport.temporaryDirectory(for: self)
        let file = directory.appendingPathComponent("not-a-checkpoint.h5")
        try Data("this is not HDF5".utf8).write(to: file)
        let pipe = Pipe(), saved = dup(2)
        dup2(pipe.fileHandleForWriting.fileDescriptor, 2)
        XCTAssertThrowsError(try TrainingCheckpoint(contentsOf: file))
        let groupFile = directory.appendingPathComponent("empty.h5")
        try HDF5File.create(at: groupFile).close()
        XCTAssertThrowsError(try TrainingCheckpoint(contentsOf: groupFile))
        fflush(nil)
        dup2(saved, 2)
        close(saved)
        try pipe.fileHandleForWriting.close()
        let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertFalse(printed.contains("HDF5-DIAG"), printed)
        XCTAssertFalse(printed.contains("#000"), printed)
    }
}
