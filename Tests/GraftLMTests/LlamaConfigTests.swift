import Foundation
import GraftIO
import GraftLM
import XCTest

/// `ModelConfig` from GGUF metadata and from Hugging Face config.json files, against what
/// transformers reads from the same files (Fixtures/llama/config.json and configs.json).
final class LlamaConfigTests: XCTestCase {
    struct ConfigCase: Decodable {
        struct Expected: Decodable {
            let model_type: String
            let vocab_size, hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads: Int
            let head_dim, intermediate_size, max_position_embeddings: Int
            let rope_theta, rms_norm_eps: Double
            let tie_word_embeddings, q_proj_bias, o_proj_bias, gate_proj_bias: Bool
            let bos_token_id: Int32?
            let eos_token_ids: [Int32]
            let inv_freq: [Double]
        }
        let name: String
        let config_json: String
        let expected: Expected
    }

    struct ConfigCases: Decodable { let cases: [ConfigCase] }

    func configCases() throws -> [ConfigCase] {
        let data = try Data(contentsOf: LlamaTestSupport.fixtureDirectory.appendingPathComponent("configs.json"))
        return try JSONDecoder().decode(ConfigCases.self, from: data).cases
    }

    func config(_ json: String) throws -> ModelConfig {
        try ModelConfig(huggingFaceConfigJSON: Data(json.utf8), source: "test/config.json")
    }

    /// Expects `body` to throw a `ModelError` whose description mentions every string given.
    func assertModelError(_ body: @autoclosure () throws -> Any, mentions: [String], file: StaticString = #filePath,
                          line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertTrue(error is ModelError, "\(type(of: error)): \(error)", file: file, line: line)
            let text = String(describing: error)
            for m in mentions { XCTAssertTrue(text.contains(m), "'\(text)' does not mention '\(m)'", file: file, line: line) }
        }
    }

    /// The GGUF's metadata gives the same configuration as transformers' config.json of the model
    /// loaded from that GGUF, and the facts of formats.md §8.1.
    func testGGUFConfigMatchesTransformersConfig() throws {
        let loaded = try LlamaTestSupport.model()
        let fromGGUF = try ModelConfig(gguf: GGUFFile(path: LlamaTestSupport.modelURL.path))
        let fromJSON = try ModelConfig(huggingFaceConfig: LlamaTestSupport.fixtureDirectory.appendingPathComponent("config.json"))
        XCTAssertEqual(fromGGUF, fromJSON)
        XCTAssertEqual(fromGGUF, loaded.model.config)
        let c = fromGGUF
        XCTAssertEqual([c.vocabularySize, c.hiddenSize, c.layerCount, c.attentionHeadCount, c.keyValueHeadCount,
                        c.headDimension, c.intermediateSize, c.contextLength, c.ropeDimensions],
                       [49152, 576, 30, 9, 3, 64, 1536, 8192, 64])
        XCTAssertEqual(c.ropeTheta, 100_000)
        XCTAssertEqual(Float(c.rmsNormEpsilon), 1e-5)
        XCTAssertNil(c.ropeScaling)
        XCTAssertTrue(c.tiedOutputHead)
        XCTAssertFalse(c.qkvBias || c.outputProjectionBias || c.mlpBias)
        XCTAssertEqual(c.bosTokenID, 1)
        XCTAssertEqual(c.eosTokenIDs, [2])
        XCTAssertEqual(c.queryGroupSize, 3)
        XCTAssertEqual(c.parameterCount, 134_515_008)
        XCTAssertEqual(try LlamaTestSupport.denseModel().model.parameters.parameterCount, c.parameterCount)
        XCTAssertEqual(loaded.stopTokenIDs, [2, 0])  // <|im_end|> and <|endoftext|> (formats.md §8.1)
    }

    /// Every config.json case reads as transformers reads it, including the RoPE inverse
    /// frequencies of the instantiated model (llama3 and linear scaling, both file layouts).
    func testHuggingFaceConfigsMatchTransformers() throws {
        for c in try configCases() {
            let config = try config(c.config_json)
            let e = c.expected
            XCTAssertEqual(config.architecture, e.model_type, c.name)
            XCTAssertEqual([config.vocabularySize, config.hiddenSize, config.layerCount, config.attentionHeadCount,
                            config.keyValueHeadCount, config.headDimension, config.intermediateSize, config.contextLength],
                           [e.vocab_size, e.hidden_size, e.num_hidden_layers, e.num_attention_heads, e.num_key_value_heads,
                            e.head_dim, e.intermediate_size, e.max_position_embeddings], c.name)
            XCTAssertEqual(config.ropeTheta, e.rope_theta, c.name)
            XCTAssertEqual(config.rmsNormEpsilon, e.rms_norm_eps, c.name)
            XCTAssertEqual(config.tiedOutputHead, e.tie_word_embeddings, c.name)
            XCTAssertEqual(config.qkvBias, e.q_proj_bias, c.name)
            XCTAssertEqual(config.outputProjectionBias, e.o_proj_bias, c.name)
            XCTAssertEqual(config.mlpBias, e.gate_proj_bias, c.name)
            XCTAssertEqual(config.bosTokenID, e.bos_token_id, c.name)
            XCTAssertEqual(config.eosTokenIDs, e.eos_token_ids, c.name)
            let inv = config.ropeInverseFrequencies
            XCTAssertEqual(inv.count, e.inv_freq.count, c.name)
            for (i, (got, want)) in zip(inv, e.inv_freq).enumerated() {
                XCTAssertEqual(got, want, accuracy: want * 1e-6, "\(c.name) inv_freq[\(i)]")
            }
        }
    }

    /// A rope_theta given at the top level and under rope_parameters must agree.
    func testConflictingRopeThetaIsRefused() throws {
        let json = #"{"model_type": "llama", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1,"#
            + #" "num_attention_heads": 2, "intermediate_size": 16, "rope_theta": 10000.0,"#
            + #" "rope_parameters": {"rope_type": "default", "rope_theta": 100000.0}}"#
        assertModelError(try config(json), mentions: ["test/config.json", "rope_parameters.rope_theta", "10000"])
        // The same value in both places is fine.
        let same = json.replacingOccurrences(of: "\"rope_theta\": 10000.0", with: "\"rope_theta\": 100000.0")
        XCTAssertEqual(try config(same).ropeTheta, 100_000)
    }

    /// Rope types Graft does not implement, and incomplete llama3 parameters, are refused by name.
    func testUnsupportedRoPESettingsAreRefused() throws {
        let base = #"{"model_type": "llama", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1,"#
            + #" "num_attention_heads": 2, "intermediate_size": 16, "#
        assertModelError(try config(base + #""rope_parameters": {"rope_type": "yarn", "rope_theta": 1e4, "factor": 4.0}}"#),
                         mentions: ["rope_parameters.rope_type", "yarn"])
        assertModelError(try config(base + #""rope_scaling": {"type": "dynamic", "factor": 2.0}}"#),
                         mentions: ["rope_scaling.type", "dynamic"])
        assertModelError(try config(base + #""rope_parameters": {"rope_type": "llama3", "rope_theta": 5e5, "factor": 8.0,"#
                                    + #" "low_freq_factor": 1.0, "high_freq_factor": 4.0}}"#),
                         mentions: ["rope_parameters.original_max_position_embeddings", "missing"])
        assertModelError(try config(base + #""partial_rotary_factor": 0.5}"#), mentions: ["partial_rotary_factor"])
        assertModelError(try config(base + #""rope_parameters": {"rope_type": "linear", "rope_theta": 1e4, "factor": 2.0},"#
                                    + #" "rope_scaling": {"type": "llama3", "factor": 8.0}}"#),
                         mentions: ["rope_type", "llama3", "linear"])
    }

    /// Other bad configurations: unknown architecture, activation, types, missing keys, files.
    func testBadConfigsNameTheFileAndKey() throws {
        let base = #""vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16"#
        assertModelError(try config(#"{"model_type": "gpt2", "# + base + "}"), mentions: ["test/config.json", "gpt2", "llama"])
        assertModelError(try config("{" + base + "}"), mentions: ["model_type", "missing"])
        assertModelError(try config(#"{"model_type": "llama", "hidden_act": "gelu", "# + base + "}"), mentions: ["hidden_act", "gelu"])
        assertModelError(try config(#"{"model_type": "llama", "# + base.replacingOccurrences(of: "\"hidden_size\": 8", with: "\"hidden_size\": \"8\"") + "}"),
                         mentions: ["hidden_size", "integer"])
        assertModelError(try config(#"{"model_type": "llama", "# + base.replacingOccurrences(of: ", \"intermediate_size\": 16", with: "") + "}"),
                         mentions: ["intermediate_size", "missing"])
        assertModelError(try config(#"{"model_type": "llama", "num_key_value_heads": 3, "# + base + "}"),
                         mentions: ["num_key_value_heads", "does not divide"])
        assertModelError(try config(#"{"model_type": "llama", "tie_word_embeddings": 1, "# + base + "}"),
                         mentions: ["tie_word_embeddings", "true or false"])
        assertModelError(try config(#"{"model_type": "qwen2", "use_sliding_window": true, "# + base + "}"), mentions: ["use_sliding_window"])
        assertModelError(try config("[1, 2]"), mentions: ["test/config.json", "not a JSON object"])
        assertModelError(try config("{not json"), mentions: ["test/config.json", "not valid JSON"])
        let missing = URL(fileURLWithPath: "/nonexistent/graft/config.json")
        assertModelError(try ModelConfig(huggingFaceConfig: missing), mentions: [missing.path])
    }
}
