import Foundation
import GraftLM
import XCTest

/// Prompts files of `graft generate --prompts`: plain lines and JSON Lines, and clear errors
/// naming the file and line.
final class PromptFileTests: XCTestCase {
    func texts(_ prompts: [GenerationPrompt]) -> [String] {
        prompts.map {
            switch $0 {
            case .text(let t): return "text:" + t
            case .messages(let m): return "messages:" + m.map { "\($0.role)=\($0.content)" }.joined(separator: "|")
            }
        }
    }

    func testPlainLinesSkipBlankLinesAndCarriageReturns() throws {
        let prompts = try PromptFile.parse("First prompt\r\n\n   \nSecond {not json}\n", file: "p.txt")
        XCTAssertEqual(texts(prompts), ["text:First prompt", "text:Second {not json}"])
        // A .txt file is plain text even when a line starts with '{'.
        XCTAssertEqual(texts(try PromptFile.parse("{x}\n", file: "p.txt", jsonLines: false)), ["text:{x}"])
    }

    func testJSONLinesWithPromptsAndMessages() throws {
        let text = """
            {"prompt": "What is 2+2?", "id": 7}

            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}
            """
        XCTAssertEqual(texts(try PromptFile.parse(text, file: "p.jsonl")),
                       ["text:What is 2+2?", "messages:system=Be brief.|user=Hi"])
    }

    func assertError(_ text: String, jsonLines: Bool? = nil, line: Int?, mentioning part: String,
                     file: StaticString = #filePath, sourceLine: UInt = #line) {
        XCTAssertThrowsError(try PromptFile.parse(text, file: "/data/prompts.jsonl", jsonLines: jsonLines), file: file, line: sourceLine) { error in
            guard let e = error as? PromptFileError else { return XCTFail("unexpected \(error)", file: file, line: sourceLine) }
            XCTAssertEqual(e.line, line, "\(e)", file: file, line: sourceLine)
            let prefix = line.map { "/data/prompts.jsonl:\($0): " } ?? "/data/prompts.jsonl: "
            XCTAssertTrue(e.description.hasPrefix(prefix), "\(e)", file: file, line: sourceLine)
            XCTAssertTrue(e.description.contains(part), "'\(e)' should mention \(part)", file: file, line: sourceLine)
        }
    }

    func testBadRecordsNameTheFileAndLine() {
        assertError("{\"prompt\": \"ok\"}\n\n{\"prompt\": \"unterminated}\n", line: 3, mentioning: "invalid JSON")
        assertError("{\"prompt\": \"ok\"}\n[1, 2]\n", line: 2, mentioning: "JSON object")
        assertError("{\"text\": \"no prompt\"}\n", line: 1, mentioning: "no \"prompt\" or \"messages\"")
        assertError("{\"prompt\": 3}\n", line: 1, mentioning: "\"prompt\" must be a string")
        assertError("{\"messages\": []}\n", line: 1, mentioning: "non-empty array")
        assertError("{\"messages\": [{\"role\": \"user\"}]}\n", line: 1, mentioning: "message 0")
        assertError("{\"prompt\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"b\"}]}", line: 1, mentioning: "both")
        assertError("plain text\n", jsonLines: true, line: 1, mentioning: "invalid JSON")
        assertError("\n  \n", line: nil, mentioning: "no prompts")
    }

    func testFilesAreReadByExtension() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-prompts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let jsonl = dir.appendingPathComponent("p.jsonl"), txt = dir.appendingPathComponent("p.txt")
        try "{\"prompt\": \"a\"}\nnot json\n".write(to: jsonl, atomically: true, encoding: .utf8)
        try "{\"prompt\": \"a\"}\n".write(to: txt, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PromptFile.read(jsonl)) { XCTAssertTrue("\($0)".hasPrefix(jsonl.path + ":2: "), "\($0)") }
        XCTAssertEqual(texts(try PromptFile.read(txt)), ["text:{\"prompt\": \"a\"}"])
        let missing = dir.appendingPathComponent("none.txt")
        XCTAssertThrowsError(try PromptFile.read(missing)) { XCTAssertTrue("\($0)".hasPrefix(missing.path + ": "), "\($0)") }
        try Data([0x66, 0xFF, 0xFE, 0x0A]).write(to: txt)
        XCTAssertThrowsError(try PromptFile.read(txt)) { XCTAssertTrue("\($0)".contains("UTF-8"), "\($0)") }
    }

    /// Messages go through the chat template as given; a text prompt becomes the user message.
    func testPromptsBecomeTheTokensOfSinglePrompts() throws {
        let loaded = try LlamaTestSupport.model()
        let france = try LlamaTestSupport.reference().stopAtEOS
        XCTAssertEqual(try GenerationPrompt.text(france.messages![0].content).tokens(loaded), france.promptIDs)
        XCTAssertEqual(try GenerationPrompt.messages(france.chatMessages).tokens(loaded), france.promptIDs)
        XCTAssertEqual(try GenerationPrompt.text("Hello").tokens(loaded, useChatTemplate: false), loaded.textTokens("Hello"))
        XCTAssertThrowsError(try GenerationPrompt.messages(france.chatMessages).tokens(loaded, useChatTemplate: false)) {
            XCTAssertTrue("\($0)".contains("chat template"), "\($0)")
        }
    }
}
