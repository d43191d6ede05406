import Foundation
import GraftLM
import XCTest

/// Loads the committed tokenizer fixtures written by scripts/fixtures/tokenizer.py.
enum TokenizerFixtures {
    /// One reference encoding of one text.
    struct Case: Decodable {
        let text: String
        let ids: [Int32]
        let idsNoSpecial: [Int32]
        let decoded: String
        let decodedSkipSpecial: String
        let pieces: [String]

        enum CodingKeys: String, CodingKey {
            case text, ids, pieces, decoded
            case idsNoSpecial = "ids_no_special"
            case decodedSkipSpecial = "decoded_skip_special"
        }
    }

    /// A reference decoding of ids that need not form valid UTF-8.
    struct DecodeCase: Decodable {
        let ids: [Int32]
        let decoded: String
        let decodedSkipSpecial: String

        enum CodingKeys: String, CodingKey {
            case ids, decoded
            case decodedSkipSpecial = "decoded_skip_special"
        }
    }

    struct Family: Decodable {
        let cases: [Case]
        let decodeCases: [DecodeCase]?

        enum CodingKeys: String, CodingKey {
            case cases
            case decodeCases = "decode_cases"
        }
    }

    /// The GGUF tokenizer metadata of the project's model, as the gguf package read it.
    struct GGUFMetadata: Decodable {
        let pre: String
        let tokens: [String]
        let tokenType: [Int32]
        let merges: [String]
        let bosTokenId: Int32?
        let eosTokenId: Int32?
        let unknownTokenId: Int32?
        let paddingTokenId: Int32?
        let addBosToken: Bool?
        let addEosToken: Bool?
        let chatTemplate: String?

        enum CodingKeys: String, CodingKey {
            case pre, tokens, merges
            case tokenType = "token_type"
            case bosTokenId = "bos_token_id"
            case eosTokenId = "eos_token_id"
            case unknownTokenId = "unknown_token_id"
            case paddingTokenId = "padding_token_id"
            case addBosToken = "add_bos_token"
            case addEosToken = "add_eos_token"
            case chatTemplate = "chat_template"
        }
    }

    static var directory: URL {
        get throws {
            let root = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil),
                                     "test resources lack the Fixtures folder")
            return root.appendingPathComponent("tokenizer")
        }
    }

    static func family(_ name: String) throws -> Family {
        let data = try Data(contentsOf: directory.appendingPathComponent("expected.json"))
        let all = try JSONDecoder().decode([String: FamilyOrVersions].self, from: data)
        guard case .family(let family)? = all[name] else {
            throw XCTSkip("expected.json has no family \(name)")
        }
        return family
    }

    /// expected.json mixes family entries with a "versions" object.
    enum FamilyOrVersions: Decodable {
        case family(Family)
        case other
        init(from decoder: Decoder) throws {
            if let family = try? Family(from: decoder) { self = .family(family) } else { self = .other }
        }
    }

    static func smolLM2FromTokenizerJSON() throws -> BPETokenizer {
        try BPETokenizer(directory: directory.appendingPathComponent("smollm2"))
    }

    static func smolLM2Metadata() throws -> GGUFMetadata {
        let url = try directory.appendingPathComponent("smollm2/gguf-tokenizer.json")
        return try JSONDecoder().decode(GGUFMetadata.self, from: Data(contentsOf: url))
    }

    static func smolLM2FromGGUFArrays() throws -> BPETokenizer {
        let meta = try smolLM2Metadata()
        return try BPETokenizer(tokens: meta.tokens, merges: meta.merges, tokenTypes: meta.tokenType,
                                bosTokenID: meta.bosTokenId, eosTokenID: meta.eosTokenId,
                                padTokenID: meta.paddingTokenId, unknownTokenID: meta.unknownTokenId,
                                addBOS: meta.addBosToken, addEOS: meta.addEosToken,
                                preTokenizer: meta.pre, chatTemplate: meta.chatTemplate)
    }

    static func tiny(_ family: String) throws -> BPETokenizer {
        try BPETokenizer(tokenizerJSON: directory.appendingPathComponent("tiny-\(family).json"))
    }
}
