import Foundation
import GraftIO
import GraftLM
import XCTest

/// Shared helpers for the Data* tests: fixtures, tokenizers, the project model, temp folders.
enum DataTestSupport {
    /// `Fixtures/data/reference.json` as written by scripts/fixtures/data_reference.py.
    struct Reference: Decodable {
        struct Case: Decodable {
            let format: String
            let record: [String: RecordValue]
            let maskPrompt: Bool
            let template: String
            let ids: [Int32]
            let trained: [Int]

            enum CodingKeys: String, CodingKey {
                case format, record, template, ids, trained
                case maskPrompt = "mask_prompt"
            }
        }

        struct Truncation: Decodable {
            let `case`: Int
            let maxSeqLength: Int
            let ids: [Int32]
            let trained: [Int]

            enum CodingKeys: String, CodingKey {
                case `case`, ids, trained
                case maxSeqLength = "max_seq_length"
            }
        }

        let eosTokenId: Int32
        let templates: [String: String]
        let cases: [Case]
        let truncations: [Truncation]

        enum CodingKeys: String, CodingKey {
            case templates, cases, truncations
            case eosTokenId = "eos_token_id"
        }
    }

    /// A record field: a string or a list of messages.
    enum RecordValue: Decodable {
        case string(String)
        case messages([[String: String]])

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .string(text)
            } else {
                self = .messages(try container.decode([[String: String]].self))
            }
        }
    }

    static var fixtures: URL {
        get throws {
            try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil),
                          "test resources lack the Fixtures folder")
        }
    }

    static func reference() throws -> Reference {
        let url = try fixtures.appendingPathComponent("data/reference.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// The record of a reference case as a `DatasetRecord`.
    static func record(_ item: Reference.Case) throws -> DatasetRecord {
        switch item.format {
        case "text":
            guard case .string(let text)? = item.record["text"] else { throw XCTSkip("bad text case") }
            return .text(text)
        case "completion":
            guard case .string(let prompt)? = item.record["prompt"],
                  case .string(let completion)? = item.record["completion"] else { throw XCTSkip("bad completion case") }
            return .completion(prompt: prompt, completion: completion)
        default:
            guard case .messages(let list)? = item.record["messages"] else { throw XCTSkip("bad messages case") }
            return .messages(list.map { ChatMessage(role: $0["role"] ?? "", content: $0["content"] ?? "") })
        }
    }

    /// SmolLM2's tokenizer (tokenizer.json, config and chat template) from the tokenizer fixtures.
    static func smolLM2Tokenizer() throws -> BPETokenizer {
        try BPETokenizer(directory: fixtures.appendingPathComponent("tokenizer/smollm2"))
    }

    /// `${GRAFT_CACHE:-$HOME/.cache/graft}/models/SmolLM2-135M-Instruct.Q4_1.gguf`; fails the
    /// test with instructions when the file is missing.
    static func modelPath(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["GRAFT_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/graft"
        let path = cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("the project model is missing at \(path); run scripts/fetch-model.sh first", file: file, line: line)
            throw XCTSkip("model missing")
        }
        return path
    }

    /// The repository root (this file is Tests/GraftLMTests/DataTestSupport.swift).
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A fresh temporary folder.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("graft-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
