import Foundation
import XCTest

/// `graft env` run as a user runs it, its fields checked against facts gathered here by other
/// means: /proc/cpuinfo, pkg-config, `swift --version`, the model path rule.
final class EnvCommandTests: XCTestCase {
    /// Output of `command arguments` (stdout, trimmed), or a failure naming the tool.
    private func output(of command: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = (environment["PATH"] ?? "/usr/bin:/bin") + ":/opt/swift/usr/bin"
        process.environment = environment
        process.arguments = [command] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            XCTFail("\(command) \(arguments.joined(separator: " ")) failed (status \(process.terminationStatus))", file: file, line: line)
            throw XCTSkip("\(command) unavailable")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func json(_ run: GraftCLI.Run) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
        return try XCTUnwrap(object as? [String: Any], "graft env --json printed no JSON object: \(run.stdout)")
    }

    func testJSONReportMatchesTheMachine() throws {
        let run = try GraftCLI.run(["env", "--json"], environment: ["GRAFT_CACHE": LlamaTestSupport.modelURL
            .deletingLastPathComponent().deletingLastPathComponent().path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try json(run)

        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let lines = cpuinfo.split(separator: "\n").map(String.init)
        func field(_ name: String) -> String? {
            lines.first { $0.hasPrefix(name) && $0.contains(":") }.map {
                String($0[$0.index(after: $0.firstIndex(of: ":")!)...]).trimmingCharacters(in: .whitespaces)
            }
        }
        let cpu = try XCTUnwrap(report["cpu"] as? [String: Any])
        #if arch(x86_64)
        XCTAssertEqual(cpu["model"] as? String, field("model name"))
        let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        let features = try XCTUnwrap(cpu["features"] as? [[String: Any]])
        XCTAssertEqual(Set(features.compactMap { $0["name"] as? String }), ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni"])
        for feature in features {
            let name = try XCTUnwrap(feature["name"] as? String)
            XCTAssertEqual(feature["present"] as? Bool, flags.contains(name), name)
        }
        // The decoding kernels follow the flags: AVX-512 takes the interleaved copies, VNNI int8.
        let decoding = try XCTUnwrap(report["decoding"] as? [String: String])
        XCTAssertEqual(decoding["float32"], flags.contains("avx512f") ? "AVX-512 on interleaved weights" : "AVX2 on packed weights")
        XCTAssertEqual(decoding["int8"], ["avx512f", "avx512bw", "avx512_vnni"].allSatisfy(flags.contains)
                           ? "AVX-512 VNNI on interleaved weights" : "not on this CPU (reads float32)")
        #endif

        let threads = try XCTUnwrap(report["threads"] as? [String: Any])
        let processorEntries = lines.filter { $0.hasPrefix("processor") }.count
        XCTAssertEqual(threads["onlineProcessors"] as? Int, processorEntries, "one /proc/cpuinfo entry per online processor")
        XCTAssertEqual(threads["inUse"] as? Int, 2, "GraftCLI sets GRAFT_NUM_THREADS=2")
        XCTAssertEqual(threads["source"] as? String, "GRAFT_NUM_THREADS=2")

        let blas = try XCTUnwrap(report["blas"] as? [String: Any])
        let openblasVersion = try output(of: "pkg-config", ["--modversion", "openblas"])
        let config = try XCTUnwrap(blas["config"] as? String)
        XCTAssertTrue(config.hasPrefix("OpenBLAS \(openblasVersion)"), "\(config) vs pkg-config \(openblasVersion)")
        XCTAssertFalse((blas["kernel"] as? String ?? "").isEmpty)
        XCTAssertEqual(blas["threads"] as? Int, 2, "Graft hands its thread count to OpenBLAS")

        XCTAssertEqual(report["hdf5Version"] as? String, try output(of: "pkg-config", ["--modversion", "hdf5"]))

        let swiftVersion = try output(of: "swift", ["--version"])
        let compiler = try XCTUnwrap(report["swiftCompiler"] as? String)
        XCTAssertTrue(swiftVersion.contains("Swift version \(compiler)."), "\(compiler) vs \(swiftVersion)")

        let model = try XCTUnwrap(report["model"] as? [String: Any])
        XCTAssertEqual(model["defaultModel"] as? String, LlamaTestSupport.modelURL.path)
        XCTAssertEqual(model["present"] as? Bool, FileManager.default.fileExists(atPath: LlamaTestSupport.modelURL.path))
        XCTAssertEqual((report["problems"] as? [Any])?.count, 0)
        XCTAssertFalse((report["graftVersion"] as? String ?? "").isEmpty)
    }

    func testTextReportNamesEveryPart() throws {
        let run = try GraftCLI.run(["env"], environment: ["GRAFT_NUM_THREADS": "1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        for label in ["graft", "swift compiler", "cpu", "simd", "cores", "threads", "blas", "blas kernel", "decoding", "hdf5",
                      "model cache", "default model"] {
            XCTAssertTrue(run.stdout.split(separator: "\n").contains { $0.hasPrefix(label + " ") }, "missing \(label):\n\(run.stdout)")
        }
        XCTAssertTrue(run.stdout.contains("threads         1 (GRAFT_NUM_THREADS=1)"), run.stdout)
    }

    func testMissingModelExitsWithAFix() throws {
        let empty = try LlamaTestSupport.temporaryDirectory(self)
        let run = try GraftCLI.run(["env"], environment: ["GRAFT_CACHE": empty.path])
        XCTAssertNotEqual(run.status, 0)
        let expectedPath = empty.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        XCTAssertTrue(run.stdout.contains("default model   \(expectedPath) (present: no)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("fix             run scripts/fetch-model.sh"), run.stdout)

        let jsonRun = try GraftCLI.run(["env", "--json"], environment: ["GRAFT_CACHE": empty.path])
        XCTAssertNotEqual(jsonRun.status, 0)
        let problems = try XCTUnwrap(try json(jsonRun)["problems"] as? [[String: String]])
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems.first?["fix"]?.hasPrefix("run scripts/fetch-model.sh") ?? false, "\(problems)")
        XCTAssertTrue(jsonRun.stderr.contains("fix: run scripts/fetch-model.sh"), jsonRun.stderr)
    }

    func testBadThreadCountIsAProblem() throws {
        let run = try GraftCLI.run(["env"], environment: ["GRAFT_NUM_THREADS": "many"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stdout.contains("problem         GRAFT_NUM_THREADS=many is not a positive integer"), run.stdout)
    }
}
