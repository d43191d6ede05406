import Foundation
import Graft
import GraftIO
import GraftLM
import XCTest

/// LoRA training on the real SmolLM2 and the shipped SQL dataset, through the same
/// `TrainingSession` that `graft train` uses.
final class TrainEndToEndTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A recipe file for a short run in a fresh temporary run folder.
    func recipe(_ extra: String = "", iters: Int, lr: String = "1.0e-3", schedule: String = "constant",
                every: Int = 2) throws -> (path: String, runDir: URL) {
        _ = try LlamaTestSupport.model()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let text = """
        model:
          path: \(LlamaTestSupport.modelURL.path)
        data:
          dir: \(Self.repository.appendingPathComponent("data/sql").path)
        lora:
          rank: 4
          alpha: 8
          targets: [q, v, down]
          layers: 4
        optimizer:
          name: adamw
          lr: \(lr)
        schedule:
          name: \(schedule)
        train:
          iters: \(iters)
          batch_size: 2
          max_seq_length: 128
          seed: 3
        eval:
          every: \(every)
          batches: 1
        checkpoint:
          dir: \(dir.appendingPathComponent("run").path)
          every: \(every)
        report:
          every: 1
        \(extra)
        """
        let path = dir.appendingPathComponent("recipe.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, dir.appendingPathComponent("run"))
    }

    func session(_ path: String?, overrides: [String] = [], resume: String? = nil) throws -> TrainingSession {
        try TrainingSession(recipePath: path, overrides: overrides, resume: resume,
                            reporter: ProgressReporter(totalSteps: 0, interactive: false, write: { _ in }), log: { _ in })
    }

    func testLossFallsOnTheShippedDataset() throws {
        let (path, _) = try recipe(iters: 12, every: 12)
        let s = try session(path)
        let before = s.trainer.evaluate(s.dataset.valid, batches: 3)
        XCTAssertEqual(try s.trainer.run(), .completed(step: 12))
        let after = s.trainer.evaluate(s.dataset.valid, batches: 3)
        XCTAssertLessThan(after, before - 0.3, "validation loss \(before) → \(after)")
        let train = s.trainer.metrics.records.filter { $0.kind == .train }
        XCTAssertEqual(train.count, 12)
        XCTAssertTrue(train.allSatisfy { $0.loss.isFinite && ($0.tokensPerSecond ?? 0) > 0 })
    }

    func testResumeContinuesExactlyWhereTheRunStopped() throws {
        let (path, runDir) = try recipe(iters: 4, every: 4)
        let straight = try session(path)
        XCTAssertEqual(try straight.trainer.run(), .completed(step: 4))

        let (path2, runDir2) = try recipe(iters: 4, every: 2)
        let first = try session(path2, overrides: ["train.iters=2"])
        XCTAssertEqual(try first.trainer.run(), .completed(step: 2))
        // No recipe file: the checkpoint carries it (with its --set lines); the new --set wins.
        let resumed = try session(nil, overrides: ["train.iters=4"], resume: runDir2.path)
        XCTAssertEqual(resumed.trainer.step, 2)
        XCTAssertEqual(try resumed.trainer.run(), .completed(step: 4))

        let a = straight.trainer.adapters.flattened(), b = resumed.trainer.adapters.flattened()
        XCTAssertEqual(a.map(\.path), b.map(\.path))
        for (x, y) in zip(a, b) { XCTAssertEqual(x.tensor.toArray(), y.tensor.toArray(), "\(x.path) differs after resume") }
        let lossesA = straight.trainer.metrics.records.filter { $0.kind == .train }.map(\.loss)
        let lossesB = resumed.trainer.metrics.records.filter { $0.kind == .train }.map(\.loss)
        XCTAssertEqual(lossesA, lossesB)
        XCTAssertEqual(try CheckpointDirectory(url: runDir).latest().lastPathComponent, "step-000004.h5")
        // A resumed run stores the recipe again (file text plus every --set), so it can resume too.
        let stored = try TrainingCheckpoint(contentsOf: CheckpointDirectory(url: runDir2).latest()).recipe
        XCTAssertTrue(stored.contains("lora:\n  rank: 4"), stored)
        XCTAssertEqual(stored.components(separatedBy: "\n# --set ").count - 1, 2, stored)
        XCTAssertTrue(stored.hasSuffix("# --set train.iters=2\n# --set train.iters=4\n"), stored)
    }

    func testResumeOntoAnotherBaseIsRefused() throws {
        let (path, runDir) = try recipe(iters: 1, every: 1)
        XCTAssertEqual(try session(path).trainer.run(), .completed(step: 1))
        var checkpoint = try TrainingCheckpoint(contentsOf: CheckpointDirectory(url: runDir).latest())
        checkpoint.baseFingerprint = "fnv1a64:0000000000000000"
        let forged = runDir.appendingPathComponent("forged.h5")
        try checkpoint.write(to: forged)
        XCTAssertThrowsError(try session(path, resume: forged.path)) { error in
            XCTAssertTrue("\(error)".contains("another base model") && "\(error)".contains("forged.h5"), "\(error)")
        }
    }

    func testDivergenceStopsAndKeepsTheLastGoodCheckpoint() throws {
        let (path, runDir) = try recipe(iters: 6, lr: "1.0e+30", every: 1)
        let s = try session(path, overrides: ["optimizer.name=sgd", "optimizer.weight_decay=0"])
        guard case .diverged(let at) = try s.trainer.run() else { return XCTFail("a learning rate of 1e30 should diverge") }
        XCTAssertLessThan(at, 6)
        if let latest = try? CheckpointDirectory(url: runDir).latest() {
            let c = try TrainingCheckpoint(contentsOf: latest)
            XCTAssertLessThan(c.step, at)
            for (_, t) in c.adapters { XCTAssertTrue(t.toArray().allSatisfy(\.isFinite)) }
        }
    }

    func testCtrlCSavesAndExitsAndTheRunResumes() throws {
        let (path, runDir) = try recipe(iters: 200, every: 100)
        let process = Process()
        process.executableURL = try GraftCLI.binary()
        process.arguments = ["train", path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        // Wait for the first reported step, then interrupt.
        var text = ""
        while !text.contains("step 1/200") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        process.interrupt()
        text += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130, text)
        XCTAssertTrue(text.contains("interrupted: saved"), text)
        let c = try TrainingCheckpoint(contentsOf: CheckpointDirectory(url: runDir).latest())
        XCTAssertGreaterThanOrEqual(c.step, 1)
        XCTAssertLessThan(c.step, 200)
    }
}
