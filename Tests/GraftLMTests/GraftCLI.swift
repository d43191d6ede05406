import Foundation
import XCTest

/// Runs the `graft` binary built next to the tests, as a user would.
enum GraftCLI {
    struct Run { let status: Int32; let stdout: String; let stderr: String }

    /// The built binary; fails the calling test when it is missing.
    static func binary(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let binary = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("graft")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            XCTFail("graft binary not found at \(binary.path) (build with swift build -c release --build-tests)", file: file, line: line)
            throw XCTSkip("no binary")
        }
        return binary
    }

    /// Runs `graft arguments` with `input` on standard input (closed at once when nil) and two threads;
    /// `environment` entries are added to (or replace) the test process's variables.
    static func run(_ arguments: [String], input: String? = nil, environment extra: [String: String] = [:],
                    file: StaticString = #filePath, line: UInt = #line) throws -> Run {
        let process = Process()
        process.executableURL = try binary(file: file, line: line)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GRAFT_NUM_THREADS"] = "2"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }
}
