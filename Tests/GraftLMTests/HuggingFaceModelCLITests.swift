import Foundation
import GraftLM
import XCTest

/// `graft generate --model FOLDER [--quantize B --group-size G]` as a user runs it.
final class HuggingFaceModelCLITests: XCTestCase {
    typealias Support = HuggingFaceModelSupport

    func graft(_ arguments: [String]) throws -> GraftCLI.Run {
        try GraftCLI.run(arguments)
    }

    /// Greedy text of the folder quantized to 8 bits at load equals the decoded reference ids.
    func testGenerateFromAFolderQuantizedAtLoad() throws {
        let reference = try Support.reference().cases["llama_bf16_quantize8"]!
        let folder = Support.folder(reference.folder)
        let loaded = try LoadedModel.load(path: folder)
        XCTAssertEqual(loaded.textTokens(reference.promptText), reference.promptIDs)
        let run = try graft(["generate", "--model", folder.path, "--prompt", reference.promptText, "--no-chat-template",
                             "--max-tokens", "\(reference.greedyIDs.count)", "--quantize", "8", "--group-size", "64", "--verbose"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, try loaded.tokenizer.decode(reference.greedyIDs, skipSpecialTokens: true) + "\n")
        XCTAssertTrue(run.stderr.contains("Loaded llama-bf16 (llama, 2 layers"), run.stderr)
    }

    func testBadQuantizeOptionsFailWithoutACrash() throws {
        let folder = Support.folder("llama-bf16").path
        for (arguments, expected) in [
            (["--quantize", "3"], "4 or 8 bits"),
            (["--quantize", "4", "--group-size", "48"], "group size 48"),
            (["--group-size", "32"], "--group-size needs --quantize"),
            (["--quantize", "4", "--group-size", "128"], "row length 64"),
        ] {
            let run = try graft(["generate", "--model", folder, "--prompt", "hi"] + arguments)
            XCTAssertNotEqual(run.status, 0, "\(arguments)")
            XCTAssertTrue(run.stderr.contains(expected), "\(arguments): \(run.stderr)")
            XCTAssertFalse(run.stderr.contains("Fatal error") || run.stderr.contains("Stack dump"), run.stderr)
        }
        let quantized = Support.folder("llama-mlx-q4")
        let run = try graft(["generate", "--model", quantized.path, "--prompt", "hi", "--quantize", "8"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains(quantized.appendingPathComponent("config.json").path), run.stderr)
    }
}
