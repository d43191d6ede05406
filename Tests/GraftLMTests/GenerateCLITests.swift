import Foundation
import XCTest

/// `graft generate` and `graft chat` as a user runs them (the binary built next to the tests).
final class GenerateCLITests: XCTestCase {
    func graft(_ arguments: [String], input: String? = nil) throws -> GraftCLI.Run {
        try GraftCLI.run(arguments, input: input)
    }

    func testGenerateGreedyChatAnswer() throws {
        _ = try LlamaTestSupport.model()
        let reference = try LlamaTestSupport.reference().stopAtEOS
        let run = try graft(["generate", "--model", LlamaTestSupport.modelURL.path, "--prompt", reference.messages![0].content,
                             "--verbose"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, reference.greedyText + "\n")
        for part in ["Prompt: 37 tokens", "Generation: 8 tokens", "tokens-per-sec", "Peak memory", "resident"] {
            XCTAssertTrue(run.stderr.contains(part), "stderr lacks '\(part)': \(run.stderr)")
        }
    }

    /// A decoding option as a user passes it: with `value`, the France answer is unchanged; with
    /// `bad`, refused with an error naming the option and the value it should have had.
    func checkDecodingOption(_ option: String, value: String, bad: String, line: UInt = #line) throws {
        _ = try LlamaTestSupport.model()
        let reference = try LlamaTestSupport.reference().stopAtEOS
        let run = try graft(["generate", "--model", LlamaTestSupport.modelURL.path, "--prompt", reference.messages![0].content,
                             option, value])
        XCTAssertEqual(run.status, 0, run.stderr, line: line)
        XCTAssertEqual(run.stdout, reference.greedyText + "\n", line: line)
        let refused = try graft(["generate", "--prompt", "x", option, bad])
        XCTAssertNotEqual(refused.status, 0, line: line)
        XCTAssertTrue(refused.stderr.contains(option) && refused.stderr.contains(value), refused.stderr, line: line)
    }

    /// `--activations int8` decodes with rounded activations (the prompt pass and the head stay
    /// float32); a value that is not a precision is refused.
    func testInt8ActivationsOption() throws {
        try checkDecodingOption("--activations", value: "int8", bad: "fp8")
    }

    /// `--kv-cache float16` keeps the cache in halves; a type the cache cannot hold is refused.
    func testFloat16KVCacheOption() throws {
        try checkDecodingOption("--kv-cache", value: "float16", bad: "int8")
    }

    func testGeneratePlainPromptFromStandardInput() throws {
        _ = try LlamaTestSupport.model()
        let c = try LlamaTestSupport.reference().cases[1]
        let run = try graft(["generate", "--model", LlamaTestSupport.modelURL.path, "--prompt", "-", "--no-chat-template",
                             "--max-tokens", "12"], input: c.text!)
        XCTAssertEqual(run.status, 0, run.stderr)
        let loaded = try LlamaTestSupport.model()
        XCTAssertEqual(run.stdout, try loaded.tokenizer.decode(Array(c.greedyIDs.prefix(12)), skipSpecialTokens: true) + "\n")
    }

    func testMissingModelFileIsNamedWithoutACrash() throws {
        let run = try graft(["generate", "--model", "/nonexistent/dir/model.gguf", "--prompt", "hi"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("/nonexistent/dir/model.gguf"), run.stderr)
        XCTAssertFalse(run.stderr.contains("Fatal error") || run.stderr.contains("Stack dump"), run.stderr)
    }

    func testPromptLongerThanTheContextIsAClearError() throws {
        _ = try LlamaTestSupport.model()
        let run = try graft(["generate", "--model", LlamaTestSupport.modelURL.path, "--prompt", "-", "--no-chat-template"],
                            input: String(repeating: "hello ", count: 9000))
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("context") && run.stderr.contains("8192"), run.stderr)
        XCTAssertFalse(run.stderr.contains("Fatal error"), run.stderr)
    }

    func testBadSamplingOptionIsRefused() throws {
        let run = try graft(["generate", "--prompt", "x", "--top-p", "1.5"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("top-p"), run.stderr)
    }

    func testChatKeepsTheConversation() throws {
        _ = try LlamaTestSupport.model()
        let run = try graft(["chat", "--model", LlamaTestSupport.modelURL.path, "--max-tokens", "12", "--verbose"],
                            input: "What is the capital of France?\nAnd of Italy?\n/reset\n/exit\n")
        XCTAssertEqual(run.status, 0, run.stderr)
        let answers = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(answers.first, try LlamaTestSupport.reference().stopAtEOS.greedyText)
        XCTAssertEqual(answers.count, 2)
        XCTAssertTrue(run.stderr.contains("cached"), "the second turn should reuse the cache: \(run.stderr)")
        XCTAssertTrue(run.stderr.contains("conversation cleared"), run.stderr)
    }
}
