import Foundation
import GraftIO
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Crash safety of ``HDF5File/writeAtomically(to:_:)``: a child process (this test binary,
/// re-run on this one test with `GRAFT_ATOMIC_CHILD_PATH` set) rewrites an 8 MB HDF5
/// checkpoint in a loop and is killed with SIGKILL at random moments. After every kill the
/// file at the final path must be a complete, readable checkpoint of some generation no
/// older than the last one seen.
final class AtomicFileKillTests: XCTestCase {
    private static let childVariable = "GRAFT_ATOMIC_CHILD_PATH"
    private static let payloadCount = 2_000_000

    /// The value pattern of generation `generation`; checked element by element.
    private static func payload(_ generation: Int64) -> [Float] {
        (0..<payloadCount).map { Float(generation) + Float($0 % 13) }
    }

    private static func writeGeneration(_ generation: Int64, to url: URL) throws {
        let values = payload(generation)
        try HDF5File.writeAtomically(to: url) { file in
            try file.root.setAttribute("generation", generation)
            try file.root.writeDataset("payload", values)
            try file.root.writeString("note", "generation \(generation)")
        }
    }

    func testSIGKILLDuringAtomicWritesNeverCorruptsDestination() throws {
        if let target = ProcessInfo.processInfo.environment[Self.childVariable] {
            // Child: rewrite forever, each generation one higher, until killed.
            let url = URL(fileURLWithPath: target)
            var generation = try HDF5File.open(url).root.attribute("generation").int64Value ?? 0
            while true {
                generation += 1
                try Self.writeGeneration(generation, to: url)
            }
        }
        let directory = try HDF5TestSupport.temporaryDirectory(for: self)
        let url = directory.appendingPathComponent("checkpoint.h5")
        try Self.writeGeneration(0, to: url)
        let executable = URL(fileURLWithPath: CommandLine.arguments[0])
        var lastGeneration: Int64 = 0
        var killsAfterProgress = 0
        var generator = SystemRandomNumberGenerator()
        for round in 0..<12 {
            let child = Process()
            child.executableURL = executable
            child.arguments = ["GraftIOTests.AtomicFileKillTests/testSIGKILLDuringAtomicWritesNeverCorruptsDestination"]
            var environment = ProcessInfo.processInfo.environment
            environment[Self.childVariable] = url.path
            child.environment = environment
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            usleep(UInt32.random(in: 150_000...900_000, using: &generator))
            XCTAssertTrue(child.isRunning, "round \(round): the writer stopped by itself")
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            XCTAssertEqual(child.terminationReason, .uncaughtSignal)

            let file = try HDF5File.open(url)
            let generation = try XCTUnwrap(try file.root.attribute("generation").int64Value)
            XCTAssertGreaterThanOrEqual(generation, lastGeneration, "round \(round): went back in time")
            XCTAssertEqual(try file.root.readString("note"), "generation \(generation)")
            let payload = try file.root.readDataset("payload", as: Float.self)
            XCTAssertEqual(payload.shape, [Self.payloadCount])
            XCTAssertTrue(payload.values == Self.payload(generation), "round \(round): payload of \(generation) damaged")
            try file.close()
            if generation > lastGeneration { killsAfterProgress += 1 }
            lastGeneration = generation
        }
        XCTAssertGreaterThan(killsAfterProgress, 0, "the child never completed a write: test proved nothing")
        // Killed writers may leave hidden temporaries, never anything at the final path.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertTrue(leftovers.allSatisfy { $0 == "checkpoint.h5" || $0.hasPrefix(".checkpoint.h5.tmp-") }, "\(leftovers)")
        print("kill test: last generation \(lastGeneration), rounds with progress \(killsAfterProgress), "
              + "temporaries left by killed writers \(leftovers.count - 1)")
        // Their writers are dead, so all of them are stale and get cleaned up.
        XCTAssertEqual(try AtomicFile.removeStaleTemporaries(for: url).count, leftovers.count - 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["checkpoint.h5"])
    }
}
