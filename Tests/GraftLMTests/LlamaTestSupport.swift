import Foundation
import Graft
import GraftLM
import XCTest

/// Shared helpers for the Llama and generation tests: the real model (loaded once), and the
/// fixtures written by scripts/fixtures/llama_reference.py.
enum LlamaTestSupport {
    /// `${GRAFT_CACHE:-$HOME/.cache/graft}/models/SmolLM2-135M-Instruct.Q4_1.gguf`.
    static var modelURL: URL {
        let env = ProcessInfo.processInfo.environment
        let cache = env["GRAFT_CACHE"] ?? (NSHomeDirectory() + "/.cache/graft")
        return URL(fileURLWithPath: cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    }

    nonisolated(unsafe) private static var loaded: LoadedModel?
    private static let lock = NSLock()

    /// The real model, loaded on first use; fails the test with a clear message when missing.
    static func model(file: StaticString = #filePath, line: UInt = #line) throws -> LoadedModel {
        guard FileManager.default.fileExists(atPath: modelURL.path) else {
            XCTFail("model file missing: \(modelURL.path) (run scripts/fetch-model.sh)", file: file, line: line)
            throw XCTSkip("model missing")
        }
        return try lock.withLock {
            if let loaded { return loaded }
            let model = try LoadedModel.load(gguf: modelURL)
            loaded = model
            return model
        }
    }

    nonisolated(unsafe) private static var dense: LoadedModel?

    /// The real model with every weight dequantized to float32 (the reference's weights).
    static func denseModel(file: StaticString = #filePath, line: UInt = #line) throws -> LoadedModel {
        _ = try model(file: file, line: line)
        return try lock.withLock {
            if let dense { return dense }
            let model = try LoadedModel.load(gguf: modelURL, dequantize: true)
            dense = model
            return model
        }
    }

    static var fixtureDirectory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("llama")
    }

    /// One reference prompt and transformers' greedy continuation.
    struct Case: Decodable {
        struct Message: Decodable { let role: String; let content: String }
        let name: String
        let kind: String
        let messages: [Message]?
        let text: String?
        let promptText: String
        let promptIDs: [Int32]
        let greedyIDs: [Int32]
        let greedyText: String
        let logitsFile: String?
        let top5IDs: [Int32]
        let top5Logits: [Float]

        enum CodingKeys: String, CodingKey {
            case name, kind, messages, text
            case promptText = "prompt_text", promptIDs = "prompt_ids", greedyIDs = "greedy_ids"
            case greedyText = "greedy_text", logitsFile = "logits_file", top5IDs = "top5_ids", top5Logits = "top5_logits"
        }

        var chatMessages: [ChatMessage] { (messages ?? []).map { ChatMessage(role: $0.role, content: $0.content) } }
    }

    struct Intermediates: Decodable {
        let text: String
        let ids: [Int32]
        let embeddingFirst8: [[Float]]
        let afterLayer0First8: [[Float]]
        let afterLayer15First8: [[Float]]
        let lastLogitsFirst8: [Float]

        enum CodingKeys: String, CodingKey {
            case text, ids
            case embeddingFirst8 = "embedding_first8", afterLayer0First8 = "after_layer_0_first8"
            case afterLayer15First8 = "after_layer_15_first8", lastLogitsFirst8 = "last_logits_first8"
        }
    }

    struct Reference: Decodable {
        let newTokens: Int
        let cases: [Case]
        let stopAtEOS: Case
        let intermediates: Intermediates

        enum CodingKeys: String, CodingKey {
            case cases, intermediates
            case newTokens = "new_tokens", stopAtEOS = "stop_at_eos"
        }
    }

    static func reference() throws -> Reference {
        let data = try Data(contentsOf: fixtureDirectory.appendingPathComponent("reference.json"))
        return try JSONDecoder().decode(Reference.self, from: data)
    }

    /// A little-endian float32 file written by the fixture script.
    static func floats(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: fixtureDirectory.appendingPathComponent(name))
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    /// max |a − b| / max |b|.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        var diff: Float = 0, scale: Float = 0
        for i in a.indices {
            diff = max(diff, abs(a[i] - b[i]))
            scale = max(scale, abs(b[i]))
        }
        return diff / scale
    }

    /// A fresh temporary directory removed after the test.
    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("graft-llama-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
