import Foundation
import Graft
import GraftIO
import GraftLM
import XCTest

/// Hugging Face folders against transformers (scripts/fixtures/hf_models.py): a sharded bf16
/// Llama, its MLX 4-bit version and an f16 Qwen2 with q/k/v biases and a tied head give the
/// reference's logits at every prompt position and its greedy tokens.
final class HuggingFaceModelLoadingTests: XCTestCase {
    typealias Support = HuggingFaceModelSupport

    /// Loads `name`, checks the tokenizer against the reference ids, and compares logits and
    /// greedy tokens; returns the relative logit error.
    @discardableResult
    func check(_ key: String, tolerance: Float, file: StaticString = #filePath, line: UInt = #line) throws -> LoadedModel {
        let reference = try Support.reference().cases[key]!
        let loaded = try LoadedModel.load(path: Support.folder(reference.folder))
        XCTAssertEqual(loaded.model.config.vocabularySize, reference.vocabulary, file: file, line: line)
        XCTAssertEqual(loaded.tokenizer.encode(reference.promptText, addSpecialTokens: false), reference.promptIDs,
                       "tokenizer.json ids differ from transformers'", file: file, line: line)
        let expected = try Support.floats(reference.logitsFile)
        let logits = try Support.logits(loaded, reference.promptIDs)
        let error = Support.relativeError(logits, expected)
        print("\(reference.folder): logits relative error \(error) over \(reference.promptIDs.count) positions")
        XCTAssertLessThan(error, tolerance, file: file, line: line)
        let greedy = try Support.greedy(loaded, prompt: reference.promptIDs, count: reference.greedyIDs.count)
        XCTAssertEqual(greedy, reference.greedyIDs, "greedy tokens (smallest top-2 gap \(reference.greedyMinTop2Gap))",
                       file: file, line: line)
        return loaded
    }

    func testShardedBFloat16LlamaMatchesTransformers() throws {
        let folder = Support.folder("llama-bf16")
        let store = try SafetensorsShardedModel(directory: folder)
        XCTAssertGreaterThan(store.shardNames.count, 1, "the fixture is meant to be sharded")
        XCTAssertEqual(try store.info("model.layers.0.self_attn.q_proj.weight").dtype, .bf16)
        let loaded = try check("llama_bf16", tolerance: 1e-4)
        let c = loaded.model.config
        XCTAssertEqual(c.ropeTheta, 50_000, "rope_theta lives under rope_parameters in transformers 5 configs")
        XCTAssertFalse(c.tiedOutputHead)
        XCTAssertEqual([c.hiddenSize, c.layerCount, c.attentionHeadCount, c.keyValueHeadCount], [64, 2, 4, 2])
        XCTAssertEqual(loaded.model.ropeConvention, .halfSplit)
        XCTAssertNotNil(loaded.model.parameters["lm_head.weight"])
        XCTAssertNil(loaded.model.parameters["model.layers.0.self_attn.q_proj.scales"], "float folders stay dense")
        XCTAssertEqual(loaded.model.parameters["model.layers.1.mlp.down_proj.weight"]?.dtype, .float32)
        XCTAssertEqual(loaded.file, folder)
    }

    func testMLXQuantizedLlamaMatchesDequantizedReference() throws {
        let loaded = try check("llama_mlx_q4", tolerance: 1e-3)
        let p = loaded.model.parameters
        for module in ["model.embed_tokens", "lm_head", "model.layers.1.self_attn.k_proj", "model.layers.0.mlp.down_proj"] {
            let weight = try XCTUnwrap(p[module + ".weight"], module)
            XCTAssertEqual(weight.dtype, .uint32, module)
            XCTAssertEqual(p[module + ".scales"]?.dtype, .float32, "scales widened from bf16: \(module)")
            XCTAssertEqual(p[module + ".biases"]?.dtype, .float32, module)
        }
        // 4 bits in groups of 32: 8 values per word, one scale per 32 inputs.
        XCTAssertEqual(p["model.layers.0.mlp.down_proj.weight"]?.shape, [64, 128 / 8])
        XCTAssertEqual(p["model.layers.0.mlp.down_proj.scales"]?.shape, [64, 128 / 32])
        XCTAssertEqual(p["model.norm.weight"]?.dtype, .float32)
    }

    func testFloat16Qwen2WithBiasesAndTiedHeadMatchesTransformers() throws {
        let folder = Support.folder("qwen2-f16")
        XCTAssertEqual(try SafetensorsShardedModel(directory: folder).info("model.layers.0.self_attn.q_proj.bias").dtype, .f16)
        let loaded = try check("qwen2_f16", tolerance: 1e-4)
        let c = loaded.model.config
        XCTAssertEqual(c.architecture, "qwen2")
        XCTAssertTrue(c.qkvBias)
        XCTAssertTrue(c.tiedOutputHead)
        XCTAssertEqual(c.ropeTheta, 1_000_000)
        XCTAssertNil(loaded.model.parameters["lm_head.weight"])
        XCTAssertEqual(loaded.model.parameters["model.layers.1.self_attn.v_proj.bias"]?.shape, [32])
    }

    /// The template comes from chat_template.jinja (llama-bf16, as transformers 5 saves it) or
    /// from tokenizer_config.json's chat_template (qwen2-f16); both render as transformers does.
    func testChatTemplateFromEitherFileRendersLikeTransformers() throws {
        let reference = try Support.reference()
        XCTAssertTrue(FileManager.default.fileExists(atPath: Support.folder("llama-bf16").appendingPathComponent("chat_template.jinja").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: Support.folder("qwen2-f16").appendingPathComponent("chat_template.jinja").path))
        let messages = reference.chatMessages.map { ChatMessage(role: $0.role, content: $0.content) }
        for folder in ["llama-bf16", "qwen2-f16"] {
            let loaded = try LoadedModel.load(path: Support.folder(folder))
            XCTAssertNotNil(loaded.chatTemplate, folder)
            XCTAssertEqual(try loaded.renderChat(messages), reference.chatText, folder)
        }
    }

    func testStopTokensComeFromConfigAndTokenizer() throws {
        let loaded = try LoadedModel.load(path: Support.folder("qwen2-f16"))
        XCTAssertEqual(loaded.model.config.eosTokenIDs, [2])
        XCTAssertEqual(loaded.tokenizer.eosTokenID, 2, "tokenizer_config.json's eos_token is <|im_end|>")
        XCTAssertTrue(loaded.stopTokenIDs.contains(2))
    }

    /// generation_config.json's EOS ids join config.json's.
    func testGenerationConfigAddsEOSIDs() throws {
        let folder = try Support.copy("qwen2-f16", self)
        try Support.editJSON(folder, "generation_config.json") { $0["eos_token_id"] = [2, 0] }
        let loaded = try LoadedModel.load(path: folder)
        XCTAssertEqual(loaded.model.config.eosTokenIDs, [2, 0])
    }
}
