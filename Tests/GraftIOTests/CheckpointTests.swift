import Foundation
import Graft
import GraftIO
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class CheckpointTests: XCTestCase {
    /// A small deterministic checkpoint for `step`.
    static func sample(step: Int, loss: Double? = nil) -> TrainingCheckpoint {
        let key = RandomKey(seed: UInt64(step))
        return TrainingCheckpoint(
            step: step,
            adapters: ["model.layers.0.self_attn.q_proj.lora_a": Tensor.normal([4, 16], key: key),
                       "model.layers.0.self_attn.q_proj.lora_b": Tensor.full([8, 4], Double(step))],
            optimizerName: "adamw", optimizerStep: step, optimizerHyperparameters: ["lr": 1e-4, "beta1": 0.9],
            optimizerState: ["model.layers.0.self_attn.q_proj.lora_a.m": Tensor.full([4, 16], 0.5),
                             "model.layers.0.self_attn.q_proj.lora_a.v": Tensor.full([4, 16], 0.25)],
            rngKey: RandomKey(state: UInt64.max - UInt64(step)), dataEpoch: 1, dataIndex: step % 7, dataSeed: 42,
            recipe: "model:\n  path: m.gguf\n", metrics: "{\"step\": \(step)}\n", graftVersion: "0.1.0",
            baseFingerprint: "sha256:abc", validationLoss: loss)
    }

    static func temporaryDirectory() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("graft-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    func assertSame(_ a: TrainingCheckpoint, _ b: TrainingCheckpoint, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.step, b.step, file: file, line: line)
        XCTAssertEqual(Set(a.adapters.keys), Set(b.adapters.keys), file: file, line: line)
        for (k, t) in a.adapters {
            XCTAssertEqual(t.shape, b.adapters[k]!.shape, k, file: file, line: line)
            XCTAssertEqual(t.toArray(), b.adapters[k]!.toArray(), k, file: file, line: line)
        }
        XCTAssertEqual(Set(a.optimizerState.keys), Set(b.optimizerState.keys), file: file, line: line)
        XCTAssertEqual(a.rngKey, b.rngKey, file: file, line: line)
        XCTAssertEqual([a.dataEpoch, a.dataIndex], [b.dataEpoch, b.dataIndex], file: file, line: line)
        XCTAssertEqual(a.dataSeed, b.dataSeed, file: file, line: line)
        XCTAssertEqual(a.recipe, b.recipe, file: file, line: line)
        XCTAssertEqual(a.metrics, b.metrics, file: file, line: line)
        XCTAssertEqual(a.baseFingerprint, b.baseFingerprint, file: file, line: line)
        XCTAssertEqual(a.optimizerHyperparameters, b.optimizerHyperparameters, file: file, line: line)
        XCTAssertEqual(a.validationLoss, b.validationLoss, file: file, line: line)
    }

    func testRoundTrip() throws {
        let dir = try Self.temporaryDirectory()
        let url = dir.appendingPathComponent("c.h5")
        let original = Self.sample(step: 12, loss: 1.25)
        try original.write(to: url)
        assertSame(original, try TrainingCheckpoint(contentsOf: url))
    }

    func testRetentionKeepsLastAndBestAndLatestPointsToNewest() throws {
        let dir = try Self.temporaryDirectory()
        let run = CheckpointDirectory(url: dir, keepLast: 2, keepBest: true)
        let losses = [3.0, 1.0, 2.0, 2.5, 2.2, 2.1]
        for (i, loss) in losses.enumerated() { try run.save(Self.sample(step: (i + 1) * 10, loss: loss)) }
        XCTAssertEqual(run.stepFiles(), ["step-000020.h5", "step-000050.h5", "step-000060.h5"])
        XCTAssertEqual(try run.latest().lastPathComponent, "step-000060.h5")
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("best"), encoding: .utf8), "step-000020.h5 1.0\n")
    }

    func testLatestFallsBackWhenTheNewestFileIsDamaged() throws {
        let dir = try Self.temporaryDirectory()
        let run = CheckpointDirectory(url: dir, keepLast: 5)
        try run.save(Self.sample(step: 1))
        try run.save(Self.sample(step: 2))
        let newest = dir.appendingPathComponent("step-000002.h5")
        let bytes = try Data(contentsOf: newest)
        try bytes.prefix(bytes.count / 2).write(to: newest)
        XCTAssertEqual(try run.latest().lastPathComponent, "step-000001.h5")
        XCTAssertEqual(try CheckpointDirectory.resolve(dir.path).lastPathComponent, "step-000001.h5")
    }

    func testBadInputNamesTheFile() throws {
        let dir = try Self.temporaryDirectory()
        XCTAssertThrowsError(try CheckpointDirectory.resolve(dir.appendingPathComponent("nope").path)) {
            XCTAssertTrue("\($0)".contains("nope"), "\($0)")
        }
        XCTAssertThrowsError(try CheckpointDirectory(url: dir).latest()) { XCTAssertTrue("\($0)".contains(dir.path)) }
        let plain = dir.appendingPathComponent("plain.h5")
        try HDF5File.writeAtomically(to: plain) { try $0.root.setAttribute("x", Int64(1)) }
        XCTAssertThrowsError(try TrainingCheckpoint(contentsOf: plain)) {
            XCTAssertTrue("\($0)".contains("not a Graft checkpoint") && "\($0)".contains("plain.h5"), "\($0)")
        }
    }

    /// The committed sample (written by this code) as h5py reads it: scripts/fixtures/checkpoint.py.
    func testH5pyReadsTheLayout() throws {
        let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("checkpoint")
        if ProcessInfo.processInfo.environment["GRAFT_WRITE_FIXTURES"] != nil {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/checkpoint/sample.h5")
            try Self.sample(step: 200, loss: 0.5).write(to: source)
        }
        let sample = try TrainingCheckpoint(contentsOf: fixtures.appendingPathComponent("sample.h5"))
        assertSame(sample, Self.sample(step: 200, loss: 0.5))
        struct Dump: Decodable { let attrs: [String: String]; let datasets: [String: [Int]]; let values: [String: [Double]] }
        let dump = try JSONDecoder().decode(Dump.self, from: Data(contentsOf: fixtures.appendingPathComponent("h5py-dump.json")))
        XCTAssertEqual(dump.attrs["/format"], "graft-checkpoint")
        XCTAssertEqual(dump.attrs["/step"], "200")
        XCTAssertEqual(dump.attrs["/data/index"], "4")
        XCTAssertEqual(dump.attrs["/optimizer/name"], "adamw")
        XCTAssertEqual(dump.datasets["/adapters/model/layers/0/self_attn/q_proj/lora_a"], [4, 16])
        XCTAssertEqual(dump.datasets["/optimizer/state/model/layers/0/self_attn/q_proj/lora_a/m"], [4, 16])
        for (path, values) in dump.values {
            let key = path.replacingOccurrences(of: "/adapters/", with: "").replacingOccurrences(of: "/", with: ".")
            XCTAssertEqual(sample.adapters[key]!.toArray(as: Double.self), values, path)
        }
    }

    /// SIGKILL at random moments of repeated saves never leaves the run without a readable
    /// latest checkpoint, and never goes back in time.
    func testKillDuringSavesKeepsTheLastGoodCheckpoint() throws {
        let variable = "GRAFT_CHECKPOINT_CHILD_DIR"
        if let dir = ProcessInfo.processInfo.environment[variable] {
            let run = CheckpointDirectory(url: URL(fileURLWithPath: dir), keepLast: 2)
            var step = (try? TrainingCheckpoint(contentsOf: run.latest()).step) ?? 0
            while true {
                step += 1
                try run.save(Self.sample(step: step, loss: Double(step % 5)))
            }
        }
        let dir = try Self.temporaryDirectory()
        let run = CheckpointDirectory(url: dir, keepLast: 2)
        try run.save(Self.sample(step: 0))
        var last = 0
        for round in 0..<10 {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = ["GraftIOTests.CheckpointTests/testKillDuringSavesKeepsTheLastGoodCheckpoint"]
            child.environment = ProcessInfo.processInfo.environment.merging([variable: dir.path]) { $1 }
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            usleep(UInt32.random(in: 100_000...600_000))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            let latest = try TrainingCheckpoint(contentsOf: run.latest())
            XCTAssertGreaterThanOrEqual(latest.step, last, "round \(round)")
            assertSame(latest, Self.sample(step: latest.step, loss: latest.validationLoss))
            last = latest.step
        }
        XCTAssertGreaterThan(last, 0, "the child never saved: the test proved nothing")
    }
}
