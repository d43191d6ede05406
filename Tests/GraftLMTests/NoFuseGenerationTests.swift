import Foundation
import Graft
import GraftLM
import XCTest

/// Generation with adapters kept on the side (`--no-fuse`) against adapters fused at load, with
/// an adapter trained here for a few steps on the shipped SQL data.
final class NoFuseGenerationTests: XCTestCase {
    override func setUp() {
        super.setUp()
        Parallel.setThreads(2)
    }

    static let prompts = [
        "Which 3 hauls lasted longest? Give their ids.\nSchema: vhaul(hid sid orig tns dys)",
        "For ships built before 1995, list their hull classes.\nSchema: vship(sid snm hcls lyr dkid crw)",
        "What is the capital of France?",
    ]

    /// A run folder trained once per test process (8 updates, rank 4 on q/v/down of the top 4 blocks).
    nonisolated(unsafe) static var trainedRun: URL?

    func trainedRunFolder() throws -> URL {
        if let run = Self.trainedRun { return run }
        _ = try LlamaTestSupport.model()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graft-nofuse-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let recipe = folder.appendingPathComponent("nofuse.yaml")
        try """
        model:
          path: \(LlamaTestSupport.modelURL.path)
        data:
          dir: \(TrainEndToEndTests.repository.appendingPathComponent("data/sql").path)
          mask_prompt: true
        lora: {rank: 4, alpha: 8, targets: [q, v, down], layers: 4}
        optimizer: {name: adamw, lr: 2.0e-3}
        train: {iters: 8, batch_size: 2, max_seq_length: 96, seed: 5}
        eval: {every: 8, batches: 1}
        checkpoint: {dir: \(folder.appendingPathComponent("run").path), every: 8}
        """.write(to: recipe, atomically: true, encoding: .utf8)
        let session = try TrainingSession(recipePath: recipe.path, overrides: [], resume: nil,
                                          reporter: ProgressReporter(totalSteps: 0, interactive: false, write: { _ in }), log: { _ in })
        XCTAssertEqual(try session.trainer.run(), .completed(step: 8))
        Self.trainedRun = folder.appendingPathComponent("run")
        return Self.trainedRun!
    }

    func testUnfusedAdaptersGenerateTheFusedModelsTokens() throws {
        let run = try trainedRunFolder()
        let base = try LlamaTestSupport.model()
        let adapter = try LoadedAdapter.open(path: run.path, model: base.model)
        let fused = base.replacingModel(try base.model.fused(with: adapter.adapter, precision: .float32))
        let side = base.applyingOnTheSide(adapter)
        XCTAssertNotNil(side.adapters)
        var changedByAdapter = 0
        for prompt in Self.prompts {
            let ids = try base.chatTokens([ChatMessage(role: "user", content: prompt)])
            let options = GenerationOptions(maxTokens: 12)
            let a = try Generator(fused).generate(prompt: ids, options: options).tokens
            let b = try Generator(side).generate(prompt: ids, options: options).tokens
            XCTAssertEqual(a, b, prompt)
            if try Generator(base).generate(prompt: ids, options: options).tokens != a { changedByAdapter += 1 }
        }
        XCTAssertGreaterThan(changedByAdapter, 0, "the trained adapter should change some answer, or this test proves nothing")
    }

    func testNoFuseFlagThroughTheBinary() throws {
        let run = try trainedRunFolder()
        let prompt = "Which 3 hauls lasted longest? Give their ids. Schema: vhaul(hid sid orig tns dys)"  // one line: one chat turn
        let fused = try GraftCLI.run(["generate", "--adapter", run.path, "--prompt", prompt, "--max-tokens", "12"])
        let side = try GraftCLI.run(["generate", "--adapter", run.path, "--no-fuse", "--prompt", prompt, "--max-tokens", "12", "--verbose"])
        XCTAssertEqual(fused.status, 0, fused.stderr)
        XCTAssertEqual(side.status, 0, side.stderr)
        XCTAssertEqual(side.stdout, fused.stdout)
        XCTAssertTrue(side.stderr.contains("(not fused)"), side.stderr)
        let chat = try GraftCLI.run(["chat", "--adapter", run.path, "--no-fuse", "--max-tokens", "12"], input: prompt + "\n")
        XCTAssertEqual(chat.status, 0, chat.stderr)
        XCTAssertEqual(chat.stdout, fused.stdout, "one chat turn answers like generate")
        let misuse = try GraftCLI.run(["generate", "--no-fuse", "--prompt", "x"])
        XCTAssertNotEqual(misuse.status, 0)
        XCTAssertTrue(misuse.stderr.contains("--no-fuse needs --adapter"), misuse.stderr)
    }
}
