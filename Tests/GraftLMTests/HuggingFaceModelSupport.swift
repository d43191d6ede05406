import Foundation
import Graft
import GraftLM
import XCTest

/// The Hugging Face folders and references written by scripts/fixtures/hf_models.py.
enum HuggingFaceModelSupport {
    static var fixtureDirectory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("hf_models")
    }

    /// One folder's reference: transformers' float32 logits for the prompt and its greedy ids.
    struct Case: Decodable {
        let folder: String
        let promptText: String
        let promptIDs: [Int32]
        let logitsFile: String
        let vocabulary: Int
        let greedyIDs: [Int32]
        let greedyMinTop2Gap: Float

        enum CodingKeys: String, CodingKey {
            case folder, vocabulary
            case promptText = "prompt_text", promptIDs = "prompt_ids", logitsFile = "logits_file"
            case greedyIDs = "greedy_ids", greedyMinTop2Gap = "greedy_min_top2_gap"
        }
    }

    struct Reference: Decodable {
        struct Message: Decodable { let role: String; let content: String }
        let chatMessages: [Message]
        let chatText: String
        let cases: [String: Case]

        enum CodingKeys: String, CodingKey {
            case cases
            case chatMessages = "chat_messages", chatText = "chat_text"
        }
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixtureDirectory.appendingPathComponent("reference.json")))
    }

    static func folder(_ name: String) -> URL { fixtureDirectory.appendingPathComponent(name) }

    /// A little-endian float32 file of the fixtures.
    static func floats(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: fixtureDirectory.appendingPathComponent(name))
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    /// Logits `[T, vocabulary]` (row-major) of every prompt position.
    static func logits(_ loaded: LoadedModel, _ ids: [Int32]) throws -> [Float] {
        let cache = KVCache(layerCount: loaded.model.config.layerCount)
        return try loaded.model.step(ids, cache: cache, lastPositionOnly: false).toArray(as: Float.self)
    }

    /// `count` greedy tokens after `prompt`, decoded one at a time through the KV cache.
    static func greedy(_ loaded: LoadedModel, prompt: [Int32], count: Int) throws -> [Int32] {
        let cache = KVCache(layerCount: loaded.model.config.layerCount)
        var next = prompt
        var out: [Int32] = []
        for _ in 0..<count {
            let logits = try loaded.model.step(next, cache: cache).toArray(as: Float.self)
            let best = Int32(logits.indices.max(by: { logits[$0] < logits[$1] })!)
            out.append(best)
            next = [best]
        }
        return out
    }

    /// max |a − b| / max |b|.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
        var diff: Float = 0, scale: Float = 0
        for i in a.indices {
            diff = max(diff, abs(a[i] - b[i]))
            scale = max(scale, abs(b[i]))
        }
        return diff / scale
    }

    /// A writable copy of fixture folder `name` in a temporary directory removed after the test.
    static func copy(_ name: String, _ test: XCTestCase) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("graft-hf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let target = root.appendingPathComponent(name)
        try FileManager.default.copyItem(at: folder(name), to: target)
        return target
    }

    /// Rewrites the JSON object in `file` of `folder`.
    static func editJSON(_ folder: URL, _ file: String, _ edit: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent(file)
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: url)
    }
}
