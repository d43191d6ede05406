import Foundation
import Graft
import GraftIO
import GraftLM
import XCTest

/// Broken Hugging Face folders (copies of the fixtures with one thing changed): each error names
/// the file at fault and the problem.
final class HuggingFaceModelErrorTests: XCTestCase {
    typealias Support = HuggingFaceModelSupport

    /// Loading `folder` fails with an error whose description contains every string of `mentions`.
    func assertLoadFails(_ folder: URL, quantize: QuantizeOption? = nil, mentions: [String],
                         file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try LoadedModel.load(path: folder, quantize: quantize), file: file, line: line) { error in
            let text = "\(error)"
            for expected in mentions {
                XCTAssertTrue(text.contains(expected), "'\(expected)' missing from: \(text)", file: file, line: line)
            }
        }
    }

    func testMissingConfig() throws {
        let folder = try Support.copy("qwen2-f16", self)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("config.json"))
        assertLoadFails(folder, mentions: [folder.appendingPathComponent("config.json").path, "does not exist"])
    }

    func testMissingWeights() throws {
        let folder = try Support.copy("qwen2-f16", self)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        assertLoadFails(folder, mentions: [folder.path, "model.safetensors.index.json", "no model weights"])
    }

    func testMissingTensorNamesTheIndex() throws {
        let folder = try Support.copy("llama-bf16", self)
        try Support.editJSON(folder, "model.safetensors.index.json") { index in
            var map = index["weight_map"] as! [String: Any]
            map["model.layers.1.mlp.up_proj.weight"] = nil
            index["weight_map"] = map
        }
        assertLoadFails(folder, mentions: [folder.appendingPathComponent("model.safetensors.index.json").path,
                                           "model.layers.1.mlp.up_proj.weight"])
    }

    func testMissingQwen2BiasNamesTheFile() throws {
        let folder = try Support.copy("qwen2-f16", self)
        try rewriteWeights(folder) { name, _ in name == "model.layers.0.self_attn.k_proj.bias" ? .drop : .keep }
        assertLoadFails(folder, mentions: [folder.appendingPathComponent("model.safetensors").path, "model.layers.0.self_attn.k_proj.bias"])
    }

    func testShapeMismatchNamesTheShard() throws {
        let folder = try Support.copy("llama-bf16", self)
        try Support.editJSON(folder, "config.json") { $0["intermediate_size"] = 96 }
        let store = try SafetensorsShardedModel(directory: folder)
        let shard = try store.file(containing: "model.layers.0.mlp.gate_proj.weight").path
        XCTAssertThrowsError(try LoadedModel.load(path: folder)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(folder.path) && text.contains(".safetensors"), text)
            XCTAssertTrue(text.contains("[128, 64]") && text.contains("[96, 64]"), text)
            guard case let ModelError.shapeMismatch(file, name, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, try? store.file(containing: name).path)
            XCTAssertTrue(name.hasSuffix("_proj.weight"), name)
        }
        XCTAssertTrue(shard.hasPrefix(folder.path))
    }

    func testUnsupportedDTypeNamesTheFile() throws {
        let folder = try Support.copy("qwen2-f16", self)
        try rewriteWeights(folder) { name, _ in name == "model.norm.weight" ? .int32 : .keep }
        assertLoadFails(folder, mentions: [folder.appendingPathComponent("model.safetensors").path, "model.norm.weight", "I32"])
    }

    func testTokenizerLargerThanTheModelIsRefused() throws {
        let folder = try Support.copy("qwen2-f16", self)
        try Support.editJSON(folder, "tokenizer.json") { root in
            var added = root["added_tokens"] as! [[String: Any]]
            added.append(["id": 300, "content": "<|extra|>", "single_word": false, "lstrip": false, "rstrip": false,
                          "normalized": false, "special": true])
            root["added_tokens"] = added
        }
        assertLoadFails(folder, mentions: [folder.appendingPathComponent("tokenizer.json").path, "301", "300"])
    }

    func testMissingTokenizer() throws {
        let folder = try Support.copy("qwen2-f16", self)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("tokenizer.json"))
        assertLoadFails(folder, mentions: [folder.appendingPathComponent("tokenizer.json").path])
    }

    func testBrokenChatTemplateNamesItsFile() throws {
        let folder = try Support.copy("llama-bf16", self)
        try "{% for message in messages %}{{ message".write(to: folder.appendingPathComponent("chat_template.jinja"),
                                                             atomically: true, encoding: .utf8)
        assertLoadFails(folder, mentions: [folder.appendingPathComponent("chat_template.jinja").path, "chat template"])
    }

    func testNothingAtThePathAndSingleFiles() throws {
        let missing = Support.fixtureDirectory.appendingPathComponent("no-such-model")
        assertLoadFails(missing, mentions: [missing.path, "not found"])
        let shard = Support.folder("qwen2-f16").appendingPathComponent("model.safetensors")
        assertLoadFails(shard, mentions: [shard.path, "give the folder"])
    }

    // MARK: - MLX quantization blocks

    func testQuantizationBitsTheKernelsCannotRun() throws {
        let folder = try Support.copy("llama-mlx-q4", self)
        try Support.editJSON(folder, "config.json") { $0["quantization"] = ["group_size": 32, "bits": 3] }
        assertLoadFails(folder, mentions: [folder.appendingPathComponent("config.json").path, "quantization.bits", "3"])
    }

    func testQuantizationGroupSizeTheKernelsCannotRun() throws {
        let folder = try Support.copy("llama-mlx-q4", self)
        try Support.editJSON(folder, "config.json") { $0["quantization"] = ["group_size": 16, "bits": 4] }
        assertLoadFails(folder, mentions: [folder.appendingPathComponent("config.json").path, "quantization.group_size", "16"])
    }

    func testQuantizationGroupNotDividingARow() throws {
        let folder = try Support.copy("llama-mlx-q4", self)
        try Support.editJSON(folder, "config.json") { $0["quantization"] = ["group_size": 128, "bits": 4] }
        assertLoadFails(folder, mentions: [folder.appendingPathComponent("config.json").path, "128", "row length 64"])
    }

    func testQuantizationBitsNotMatchingThePackedWeights() throws {
        let folder = try Support.copy("llama-mlx-q4", self)
        try Support.editJSON(folder, "config.json") { $0["quantization"] = ["group_size": 32, "bits": 8] }
        assertLoadFails(folder, mentions: [folder.appendingPathComponent("model.safetensors").path, "[64, 16]", "[64, 8]"])
    }

    func testOtherQuantizationModesAndMethodsAreRefused() throws {
        let folder = try Support.copy("llama-mlx-q4", self)
        try Support.editJSON(folder, "config.json") { $0["quantization"] = ["group_size": 32, "bits": 4, "mode": "mxfp4"] }
        assertLoadFails(folder, mentions: [folder.appendingPathComponent("config.json").path, "quantization.mode", "mxfp4"])
        let gptq = try Support.copy("llama-bf16", self)
        try Support.editJSON(gptq, "config.json") { $0["quantization_config"] = ["quant_method": "gptq", "bits": 4] }
        assertLoadFails(gptq, mentions: [gptq.appendingPathComponent("config.json").path, "quant_method", "gptq"])
    }

    func testPackedWeightsWithoutAQuantizationBlock() throws {
        let folder = try Support.copy("llama-mlx-q4", self)
        try Support.editJSON(folder, "config.json") { config in
            config["quantization"] = nil
            config["quantization_config"] = nil
        }
        assertLoadFails(folder, mentions: [folder.appendingPathComponent("config.json").path, "quantization", ".scales"])
    }

    /// A per-module override (`"model.layers.0.mlp.down_proj": {"bits": 8}`) is honoured: with
    /// the 4-bit weights the packed shape no longer fits, and the error names the module.
    func testPerModuleOverrideIsRead() throws {
        let folder = try Support.copy("llama-mlx-q4", self)
        try Support.editJSON(folder, "config.json") { config in
            config["quantization"] = ["group_size": 32, "bits": 4, "model.layers.0.mlp.down_proj": ["group_size": 32, "bits": 8]]
        }
        assertLoadFails(folder, mentions: ["model.layers.0.mlp.down_proj.weight", "[64, 16]", "[64, 32]"])
    }

    // MARK: - Helpers

    enum Change { case keep, drop, int32 }

    /// Rewrites the folder's single `model.safetensors`, dropping tensors or storing them as I32.
    func rewriteWeights(_ folder: URL, _ change: (String, SafetensorsTensorInfo) -> Change) throws {
        let url = folder.appendingPathComponent("model.safetensors")
        let file = try SafetensorsFile(contentsOf: url)
        var writer = SafetensorsWriter(metadata: file.metadata)
        for name in file.tensorNames {
            let info = try file.info(name)
            switch change(name, info) {
            case .keep: try writer.add(name, dtype: info.dtype, shape: info.shape, bytes: try file.rawData(name))
            case .drop: continue
            case .int32: try writer.add(name, integers: try file.floats(name).map { Int32($0 * 100) }, shape: info.shape)
            }
        }
        let data = writer.serialized()
        try data.write(to: url)
    }
}
