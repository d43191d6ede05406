import Foundation
import GraftLM
import XCTest

/// Every bad dataset input gives a `DatasetError` naming the file and (for a record) its line.
final class DataFileErrorTests: XCTestCase {
    private var directory: URL!
    private var encoder: ExampleEncoder!

    override func setUpWithError() throws {
        directory = try DataTestSupport.temporaryDirectory()
        encoder = try ExampleEncoder(tokenizer: DataTestSupport.smolLM2Tokenizer(), maskPrompt: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private let validLine = #"{"prompt": "Hi", "completion": "Hello"}"#

    /// Writes train.jsonl (and valid.jsonl unless nil) and returns the train path.
    @discardableResult
    private func write(train: String, valid: String? = #"{"prompt": "Hi", "completion": "Hello"}"#) throws -> String {
        let trainURL = directory.appendingPathComponent("train.jsonl")
        try train.write(to: trainURL, atomically: true, encoding: .utf8)
        if let valid { try valid.write(to: directory.appendingPathComponent("valid.jsonl"), atomically: true, encoding: .utf8) }
        return trainURL.path
    }

    /// Loads the folder, expecting an error of `kind` at `path:line`.
    private func assertFails(_ kind: DatasetError.Kind, path: String, line: Int?, mentioning words: [String] = [],
                             encoder custom: ExampleEncoder? = nil, file: StaticString = #filePath, at: UInt = #line) {
        XCTAssertThrowsError(try Dataset(directory: directory.path, encoder: custom ?? encoder), file: file, line: at) { error in
            guard let error = error as? DatasetError else {
                return XCTFail("expected a DatasetError, got \(error)", file: file, line: at)
            }
            XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: at)
            XCTAssertEqual(error.file, path, file: file, line: at)
            XCTAssertEqual(error.line, line, "\(error)", file: file, line: at)
            let prefix = line.map { "\(path):\($0): " } ?? "\(path): "
            XCTAssertTrue(error.description.hasPrefix(prefix), "\(error.description) should start with \(prefix)", file: file, line: at)
            for word in words {
                XCTAssertTrue(error.description.contains(word), "\(error.description) should mention \(word)", file: file, line: at)
            }
        }
    }

    func testValidFolderLoads() throws {
        try write(train: validLine + "\n\n" + validLine + "\n")
        let dataset = try Dataset(directory: directory.path, encoder: encoder)
        XCTAssertEqual(dataset.train.count, 2)
        XCTAssertEqual(dataset.train.examples.map(\.line), [1, 3], "blank lines are skipped but counted")
        XCTAssertEqual(dataset.valid.count, 1)
        XCTAssertNil(dataset.test)
    }

    func testByteOrderMarkAndCRLFAreAccepted() throws {
        try write(train: "\u{FEFF}" + validLine + "\r\n" + validLine + "\r\n")
        let dataset = try Dataset(directory: directory.path, encoder: encoder)
        XCTAssertEqual(dataset.train.count, 2)
        let plain = try encoder.encode(.completion(prompt: "Hi", completion: "Hello"))
        XCTAssertEqual(dataset.train.examples.map(\.tokens), [plain.tokens, plain.tokens])
    }

    func testMissingFolderAndSplits() throws {
        let missing = directory.appendingPathComponent("nope").path
        XCTAssertThrowsError(try Dataset(directory: missing, encoder: encoder)) { error in
            XCTAssertEqual((error as? DatasetError)?.kind, .missingFile)
            XCTAssertTrue("\(error)".hasPrefix(missing), "\(error)")
        }
        try write(train: validLine, valid: nil)
        assertFails(.missingFile, path: directory.appendingPathComponent("valid.jsonl").path, line: nil, mentioning: ["valid"])
    }

    func testEmptyFile() throws {
        let path = try write(train: "")
        assertFails(.emptyFile, path: path, line: nil, mentioning: ["no records"])
        try write(train: "\n   \n\t\n")
        assertFails(.emptyFile, path: path, line: nil)
    }

    func testEmptyTestSplitIsNamed() throws {
        try write(train: validLine)
        let testPath = directory.appendingPathComponent("test.jsonl").path
        try "".write(toFile: testPath, atomically: true, encoding: .utf8)
        assertFails(.emptyFile, path: testPath, line: nil)
    }

    func testBadJSON() throws {
        let path = try write(train: validLine + "\n\n" + #"{"prompt": "Hi", "completion": }"# + "\n")
        assertFails(.invalidJSON, path: path, line: 3, mentioning: ["invalid JSON"])
    }

    func testBadJSONInValidSplit() throws {
        try write(train: validLine, valid: validLine + "\n" + "not json")
        assertFails(.invalidJSON, path: directory.appendingPathComponent("valid.jsonl").path, line: 2)
    }

    func testNotAnObject() throws {
        let path = try write(train: validLine + "\n" + #"["prompt", "completion"]"#)
        assertFails(.notAnObject, path: path, line: 2, mentioning: ["an array"])
    }

    func testMissingKeys() throws {
        var path = try write(train: #"{"prompt": "Hi"}"#)
        assertFails(.missingKey("completion"), path: path, line: 1, mentioning: ["\"completion\""])
        path = try write(train: validLine + "\n" + #"{"completion": "Hi"}"#)
        assertFails(.missingKey("prompt"), path: path, line: 2)
        path = try write(train: #"{"messages": [{"role": "user", "content": "a"}, {"content": "b"}]}"#)
        assertFails(.missingKey("messages[1].role"), path: path, line: 1, mentioning: ["messages[1].role"])
        path = try write(train: #"{"messages": [{"role": "user"}]}"#)
        assertFails(.missingKey("messages[0].content"), path: path, line: 1)
    }

    func testWrongTypes() throws {
        var path = try write(train: #"{"text": 5}"#)
        assertFails(.wrongType(key: "text"), path: path, line: 1, mentioning: ["a number"])
        path = try write(train: validLine + "\n" + #"{"prompt": "a", "completion": ["b"]}"#)
        assertFails(.wrongType(key: "completion"), path: path, line: 2, mentioning: ["an array"])
        path = try write(train: #"{"messages": "hello"}"#)
        assertFails(.wrongType(key: "messages"), path: path, line: 1, mentioning: ["a string"])
        path = try write(train: #"{"messages": []}"#)
        assertFails(.wrongType(key: "messages"), path: path, line: 1, mentioning: ["empty"])
        path = try write(train: #"{"messages": [true]}"#)
        assertFails(.wrongType(key: "messages[0]"), path: path, line: 1, mentioning: ["a boolean"])
        path = try write(train: #"{"messages": [{"role": "user", "content": null}]}"#)
        assertFails(.wrongType(key: "messages[0].content"), path: path, line: 1, mentioning: ["null"])
    }

    func testUnknownShape() throws {
        let path = try write(train: #"{"question": "a", "answer": "b"}"#)
        assertFails(.unknownShape, path: path, line: 1, mentioning: ["\"answer\"", "\"question\""])
    }

    func testMixedFormats() throws {
        let path = try write(train: #"{"text": "a b c"}"# + "\n" + #"{"text": "d"}"# + "\n" + validLine)
        assertFails(.mixedFormats(expected: .text, found: .completion), path: path, line: 3, mentioning: ["line 1"])
    }

    func testUnknownRole() throws {
        let path = try write(train: #"{"messages": [{"role": "human", "content": "a"}, {"role": "assistant", "content": "b"}]}"#)
        assertFails(.unknownRole("human"), path: path, line: 1, mentioning: ["\"human\"", "messages[0]"])
    }

    func testNoAssistantMessageWithMasking() throws {
        let path = try write(train: #"{"messages": [{"role": "user", "content": "a"}]}"#)
        assertFails(.noAssistantMessage, path: path, line: 1)
        // Without masking the same conversation trains on everything.
        let unmasked = try ExampleEncoder(tokenizer: DataTestSupport.smolLM2Tokenizer(), maskPrompt: false)
        XCTAssertEqual(try Dataset(directory: directory.path, encoder: unmasked).train.count, 1)
    }

    func testMissingChatTemplate() throws {
        let path = try write(train: validLine)
        let noTemplate = ExampleEncoder(tokenizer: try DataTestSupport.smolLM2Tokenizer(), chatTemplate: nil, maskPrompt: true)
        assertFails(.missingChatTemplate, path: path, line: 1, mentioning: ["chat template"], encoder: noTemplate)
    }

    func testTemplateFailure() throws {
        let path = try write(train: validLine)
        let raising = ExampleEncoder(tokenizer: try DataTestSupport.smolLM2Tokenizer(),
                                     chatTemplate: try ChatTemplate(source: "{{ raise_exception('roles must alternate') }}"),
                                     maskPrompt: true)
        assertFails(.template, path: path, line: 1, mentioning: ["roles must alternate"], encoder: raising)
    }

    /// SmolLM2's template inserts a system turn before the first message only when rendering a
    /// whole conversation, so an assistant-first conversation cannot be masked consistently.
    func testInconsistentPrefixRenderingIsReported() throws {
        let path = try write(train: #"{"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]}"#)
        assertFails(.template, path: path, line: 1, mentioning: ["message 0"])
    }

    func testTooShort() throws {
        let path = try write(train: #"{"text": "a"}"# + "\n" + #"{"text": ""}"#)
        assertFails(.tooShort, path: path, line: 2, mentioning: ["1 token"])
    }
}
