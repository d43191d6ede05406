import Foundation
import GraftIO
import GraftLM
import XCTest

/// `graft train --resume RUN` with a recipe that differs from the one stored in the checkpoint,
/// through the real binary on one-step runs of SmolLM2.
final class ResumeRecipeChangeTests: XCTestCase {
    /// A one-step run in a fresh folder: the recipe file and the run folder.
    func trainedRun() throws -> (recipe: URL, run: URL) {
        _ = try LlamaTestSupport.model()
        let folder = try LlamaTestSupport.temporaryDirectory(self)
        let run = folder.appendingPathComponent("run")
        let recipe = folder.appendingPathComponent("tiny.yaml")
        try recipeText(run: run).write(to: recipe, atomically: true, encoding: .utf8)
        let result = try GraftCLI.run(["train", recipe.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        return (recipe, run)
    }

    func recipeText(run: URL, alpha: String = "4") -> String {
        """
        model:
          path: \(LlamaTestSupport.modelURL.path)
        data:
          dir: \(TrainEndToEndTests.repository.appendingPathComponent("data/sql").path)
        lora: {rank: 2, alpha: \(alpha), targets: [q, v], layers: 1}
        optimizer: {name: adamw, lr: 1.0e-3}
        train: {iters: 1, batch_size: 1, max_seq_length: 48, seed: 3}
        eval: {every: 1, batches: 1}
        checkpoint: {dir: \(run.path), every: 1}
        """
    }

    /// Every file of the run folder with its bytes.
    func snapshot(_ run: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: run.path) {
            files[name] = try Data(contentsOf: run.appendingPathComponent(name))
        }
        return files
    }

    func testChangedSettingsAreWarnedAboutAndTheRunGoesOn() throws {
        let (_, run) = try trainedRun()
        let result = try GraftCLI.run(["train", "--resume", run.path, "--set", "optimizer.lr=2e-3", "--set", "train.iters=2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("warning:") }
        XCTAssertEqual(warnings, ["warning: optimizer.lr changed 0.001 → 0.002", "warning: train.iters changed 1 → 2"], result.stderr)
        XCTAssertEqual(try CheckpointDirectory(url: run).latest().lastPathComponent, "step-000002.h5")
    }

    func testAnotherRunIsRefusedUnlessForced() throws {
        let (recipe, run) = try trainedRun()
        let before = try snapshot(run)
        let seed = try GraftCLI.run(["train", "--resume", run.path, "--set", "train.seed=9", "--set", "train.iters=2"])
        XCTAssertNotEqual(seed.status, 0)
        XCTAssertTrue(seed.stderr.contains("warning: train.seed changed 3 → 9"), seed.stderr)
        XCTAssertTrue(seed.stderr.contains("refusing to resume from \(run.path)/step-000001.h5")
                      && seed.stderr.contains("train.seed 3 → 9 changes the data order") && seed.stderr.contains("--force"), seed.stderr)
        // A recipe file given with --resume is compared too.
        let edited = recipe.deletingLastPathComponent().appendingPathComponent("edited.yaml")
        try recipeText(run: run, alpha: "8").write(to: edited, atomically: true, encoding: .utf8)
        let alpha = try GraftCLI.run(["train", edited.path, "--resume", run.path])
        XCTAssertNotEqual(alpha.status, 0)
        XCTAssertTrue(alpha.stderr.contains("warning: lora.alpha changed 4 → 8") && alpha.stderr.contains("lora.alpha 4 → 8 changes the adapters' scale"),
                      alpha.stderr)
        XCTAssertEqual(try snapshot(run), before, "a refused resume leaves the run folder untouched")
        let forced = try GraftCLI.run(["train", "--resume", run.path, "--set", "train.seed=9", "--set", "train.iters=2", "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(try CheckpointDirectory(url: run).latest().lastPathComponent, "step-000002.h5")
    }

    func testAdapterShapeChangesAreRefusedEvenWithForce() throws {
        let (_, run) = try trainedRun()
        let before = try snapshot(run)
        let result = try GraftCLI.run(["train", "--resume", run.path, "--set", "lora.rank=4", "--set", "lora.targets=[q, k, v]", "--force"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("lora.rank 2 → 4") && result.stderr.contains("lora.targets [q, v] → [q, k, v]")
                      && result.stderr.contains("even with --force"), result.stderr)
        XCTAssertEqual(try snapshot(run), before)
    }

    /// The comparison itself, on parsed recipes: defaults count, unchanged keys are silent.
    func testChangesAreListedKeyByKeyAndClassified() throws {
        let stored = try Recipe.parse(yaml: recipeText(run: URL(fileURLWithPath: "/tmp/r")), source: "a.yaml")
        let changed = try Recipe.parse(yaml: recipeText(run: URL(fileURLWithPath: "/tmp/r")), source: "b.yaml",
                                       overrides: ["eval.every=5", "train.batch_size=2", "lora.dora=true", "optimizer.lr=0.001"])
        let changes = changed.changes(from: stored)
        XCTAssertEqual(changes.map(\.keyPath), ["lora.dora", "train.batch_size", "eval.every"])
        XCTAssertEqual(changes.first?.kind, .adapterShape)
        guard changes.count == 3, case .differentRun(let reason) = changes[1].kind else { return XCTFail("\(changes)") }
        XCTAssertTrue(reason.contains("data order"), reason)
        XCTAssertEqual(changes[2].kind, .setting)
        XCTAssertEqual(changes[2].warning, "warning: eval.every changed 1 → 5")
        XCTAssertTrue(stored.changes(from: stored).isEmpty)
    }
}
