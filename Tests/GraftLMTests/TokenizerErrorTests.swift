import Foundation
import GraftLM
import XCTest

/// Bad tokenizer files and mismatched vocabularies give clear errors, never crashes.
final class TokenizerErrorTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("graft-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A minimal valid byte-level tokenizer.json, to be broken field by field.
    private func minimalJSON() -> [String: Any] {
        [
            "version": "1.0",
            "added_tokens": [["id": 4, "content": "<|end|>", "special": true, "lstrip": false, "rstrip": false,
                              "single_word": false, "normalized": false]],
            "normalizer": NSNull(),
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
            "post_processor": ["type": "ByteLevel"],
            "decoder": ["type": "ByteLevel"],
            "model": ["type": "BPE", "unk_token": NSNull(), "vocab": ["a": 0, "b": 1, "ab": 2, "Ġ": 3, "<|end|>": 4],
                      "merges": ["a b"]],
        ]
    }

    private func write(_ object: Any, name: String = "tokenizer.json") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url
    }

    /// Asserts that loading throws a TokenizerError whose description names the file and `field`.
    private func assertLoadFails(_ json: [String: Any], mentioning field: String, config: Any? = nil,
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        let url = try write(json)
        let configURL = try config.map { try write($0, name: "tokenizer_config.json") }
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: url, tokenizerConfig: configURL), file: file, line: line) { error in
            XCTAssert(error is TokenizerError, "\(error)", file: file, line: line)
            let text = "\(error)"
            XCTAssert(text.contains(field), "'\(text)' does not name \(field)", file: file, line: line)
            XCTAssert(text.contains(configURL?.lastPathComponent ?? url.lastPathComponent) && text.contains(directory.path),
                      "'\(text)' does not name the file", file: file, line: line)
        }
    }

    func testMinimalFileLoads() throws {
        let tokenizer = try BPETokenizer(tokenizerJSON: try write(minimalJSON()))
        XCTAssertEqual(tokenizer.encode("ab ab<|end|>"), [2, 3, 2, 4])
        XCTAssertEqual(try tokenizer.decode([2, 3, 2, 4], skipSpecialTokens: true), "ab ab")
    }

    func testMissingAndUnreadableFiles() throws {
        let missing = directory.appendingPathComponent("nope.json")
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: missing)) { error in
            XCTAssert("\(error)".contains(missing.path), "\(error)")
        }
        let garbage = directory.appendingPathComponent("tokenizer.json")
        try Data("{ not json".utf8).write(to: garbage)
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: garbage)) { error in
            XCTAssert("\(error)".contains("not valid JSON") && "\(error)".contains(garbage.path), "\(error)")
        }
        try Data("[1, 2]".utf8).write(to: garbage)
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: garbage)) { error in
            XCTAssert("\(error)".contains("not a JSON object"), "\(error)")
        }
    }

    func testMalformedFields() throws {
        var json = minimalJSON()
        json["model"] = nil
        try assertLoadFails(json, mentioning: "'model'")

        json = minimalJSON()
        var model = json["model"] as! [String: Any]
        model["vocab"] = [1, 2]
        json["model"] = model
        try assertLoadFails(json, mentioning: "'model.vocab'")

        model = minimalJSON()["model"] as! [String: Any]
        model["vocab"] = ["a": "zero"]
        json["model"] = model
        try assertLoadFails(json, mentioning: "model.vocab[\"a\"]")

        model = minimalJSON()["model"] as! [String: Any]
        model["merges"] = ["a b", "a c"]
        json["model"] = model
        try assertLoadFails(json, mentioning: "'model.merges[1]'")

        model = minimalJSON()["model"] as! [String: Any]
        model["merges"] = ["ab"]
        json["model"] = model
        try assertLoadFails(json, mentioning: "'model.merges[0]'")

        json = minimalJSON()
        json["added_tokens"] = [["content": "<x>"]]
        try assertLoadFails(json, mentioning: "'added_tokens[0].id'")

        json = minimalJSON()
        json["added_tokens"] = [["id": 2, "content": "<x>"]]
        try assertLoadFails(json, mentioning: "'added_tokens[0]'")
    }

    func testUnsupportedComponents() throws {
        var json = minimalJSON()
        json["pre_tokenizer"] = ["type": "Whitespace"]
        try assertLoadFails(json, mentioning: "'pre_tokenizer.type'")

        json["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
            ["type": "Split", "pattern": ["Regex": "\\w+"], "behavior": "Isolated", "invert": false],
            ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false]]]
        try assertLoadFails(json, mentioning: "'pre_tokenizer.pretokenizers[0].pattern.Regex'")

        json["pre_tokenizer"] = NSNull()
        try assertLoadFails(json, mentioning: "without a ByteLevel step")

        json = minimalJSON()
        var model = json["model"] as! [String: Any]
        model["type"] = "WordPiece"
        json["model"] = model
        try assertLoadFails(json, mentioning: "'model.type'")

        json = minimalJSON()
        json["normalizer"] = ["type": "Lowercase"]
        try assertLoadFails(json, mentioning: "'normalizer.type'")

        json = minimalJSON()
        json["post_processor"] = ["type": "BertProcessing"]
        try assertLoadFails(json, mentioning: "'post_processor.type'")
    }

    func testConfigErrors() throws {
        try assertLoadFails(minimalJSON(), mentioning: "'bos_token'", config: ["bos_token": "<s>"])
        try assertLoadFails(minimalJSON(), mentioning: "'add_bos_token'", config: ["add_bos_token": "yes"])
        // A valid config: add_eos_token appends the EOS token.
        let url = try write(minimalJSON())
        let config = try write(["eos_token": ["content": "<|end|>"], "add_eos_token": true, "chat_template": "{{x}}"],
                               name: "tokenizer_config.json")
        let tokenizer = try BPETokenizer(tokenizerJSON: url, tokenizerConfig: config)
        XCTAssertEqual(tokenizer.encode("ab"), [2, 4])
        XCTAssertEqual(tokenizer.encode("ab", addSpecialTokens: false), [2])
        XCTAssertEqual(tokenizer.chatTemplate, "{{x}}")
    }

    func testGGUFArrayErrors() throws {
        let tokens = ["a", "b", "ab", "Ġ"]
        func build(tokens: [String] = tokens, merges: [String] = ["a b"], types: [Int32]? = [1, 1, 1, 1],
                   bos: Int32? = nil, pre: String = "gpt2") throws -> BPETokenizer {
            try BPETokenizer(tokens: tokens, merges: merges, tokenTypes: types, bosTokenID: bos, eosTokenID: nil,
                             preTokenizer: pre)
        }
        XCTAssertEqual(try build().encode("ab ab"), [2, 3, 2])
        func expect(_ fragment: String, _ body: () throws -> BPETokenizer) {
            XCTAssertThrowsError(try body()) { error in
                XCTAssert("\(error)".contains(fragment) && "\(error)".contains("GGUF tokenizer metadata"), "\(error)")
            }
        }
        expect("'tokenizer.ggml.token_type'") { try build(types: [1, 1]) }
        expect("'tokenizer.ggml.merges[0]'") { try build(merges: ["ab"]) }
        expect("'tokenizer.ggml.merges[1]'") { try build(merges: ["a b", "b a"]) }
        expect("'tokenizer.ggml.pre'") { try build(pre: "mystery") }
        expect("'tokenizer.ggml.tokens'") { try build(tokens: [], types: nil) }
        expect("id 9") { try build(bos: 9) }
        expect("'tokenizer.ggml.bos_token_id'") { try build(pre: "llama-bpe") }
    }

    func testVocabularySizeValidation() throws {
        let tokenizer = try TokenizerFixtures.smolLM2FromGGUFArrays()
        XCTAssertNoThrow(try tokenizer.validate(vocabularySize: 49152))
        XCTAssertThrowsError(try tokenizer.validate(vocabularySize: 32000)) { error in
            XCTAssert("\(error)".contains("49152") && "\(error)".contains("32000"), "\(error)")
        }
        XCTAssertThrowsError(try tokenizer.validate(vocabularySize: 49216)) { error in
            XCTAssert("\(error)".contains("allowModelPadding"), "\(error)")
        }
        XCTAssertNoThrow(try tokenizer.validate(vocabularySize: 49216, allowModelPadding: true))
    }

    func testDecodingUnknownIDsThrows() throws {
        let tokenizer = try TokenizerFixtures.smolLM2FromGGUFArrays()
        XCTAssertThrowsError(try tokenizer.decode([1, 49152])) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownTokenID(49152, vocabularySize: 49152))
        }
        XCTAssertThrowsError(try tokenizer.decode([-1]))
        var stream = tokenizer.makeStreamingDetokenizer()
        XCTAssertThrowsError(try stream.append(70000))
    }
}
