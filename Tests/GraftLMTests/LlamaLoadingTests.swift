import Foundation
import Graft
import GraftIO
import GraftLM
import XCTest

/// Loading models from small GGUF files written here: tensor-name mapping, tied and untied
/// heads, and the errors for missing files, unsupported architectures, missing tensors, wrong
/// shapes and mismatched tokenizers.
final class LlamaLoadingTests: XCTestCase {
    /// A tiny random llama GGUF: vocab 12, hidden 8, 2 layers, 2 heads, 1 kv head, ffn 16.
    func tinyGGUF(architecture: String = "llama", untiedHead: Bool = false, skip: String? = nil,
                  reshape: (name: String, shape: [Int])? = nil, tokenCount: Int = 12,
                  extra: (inout GGUFWriter) throws -> Void = { _ in }) throws -> URL {
        let (vocab, hidden, ffn, heads, kvHeads, hd) = (12, 8, 16, 2, 1, 4)
        var writer = GGUFWriter()
        writer.setValue(.string(architecture), forKey: "general.architecture")
        let p = architecture + "."
        writer.setValue(.uint32(64), forKey: p + "context_length")
        writer.setValue(.uint32(UInt32(hidden)), forKey: p + "embedding_length")
        writer.setValue(.uint32(2), forKey: p + "block_count")
        writer.setValue(.uint32(UInt32(ffn)), forKey: p + "feed_forward_length")
        writer.setValue(.uint32(UInt32(heads)), forKey: p + "attention.head_count")
        writer.setValue(.uint32(UInt32(kvHeads)), forKey: p + "attention.head_count_kv")
        writer.setValue(.float32(1e-5), forKey: p + "attention.layer_norm_rms_epsilon")
        writer.setValue(.float32(10000), forKey: p + "rope.freq_base")
        writer.setValue(.string("gpt2"), forKey: "tokenizer.ggml.model")
        writer.setValue(.string("gpt-2"), forKey: "tokenizer.ggml.pre")
        let letters = (0..<(tokenCount - 1)).map { String(UnicodeScalar(UInt8(97 + $0))) } + ["ab"]
        writer.setValue(.array(.string(letters)), forKey: "tokenizer.ggml.tokens")
        writer.setValue(.array(.string(["a b"])), forKey: "tokenizer.ggml.merges")
        writer.setValue(.uint32(1), forKey: "tokenizer.ggml.eos_token_id")
        var shapes: [(String, [Int])] = [("token_embd.weight", [vocab, hidden]), ("output_norm.weight", [hidden])]
        if untiedHead { shapes.append(("output.weight", [vocab, hidden])) }
        for l in 0..<2 {
            shapes += [("blk.\(l).attn_norm.weight", [hidden]), ("blk.\(l).attn_q.weight", [heads * hd, hidden]),
                       ("blk.\(l).attn_k.weight", [kvHeads * hd, hidden]), ("blk.\(l).attn_v.weight", [kvHeads * hd, hidden]),
                       ("blk.\(l).attn_output.weight", [hidden, heads * hd]), ("blk.\(l).ffn_norm.weight", [hidden]),
                       ("blk.\(l).ffn_gate.weight", [ffn, hidden]), ("blk.\(l).ffn_up.weight", [ffn, hidden]),
                       ("blk.\(l).ffn_down.weight", [hidden, ffn])]
        }
        var seed: UInt64 = 1
        for (name, shape) in shapes where name != skip {
            let s = reshape?.name == name ? reshape!.shape : shape
            let values: [Float] = (0..<s.reduce(1, *)).map { _ in
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int(seed >> 40) % 2001 - 1000) / 4000
            }
            try writer.addTensor(name: name, shape: s, floats: values)
        }
        try extra(&writer)
        let url = try LlamaTestSupport.temporaryDirectory(self).appendingPathComponent("tiny.gguf")
        try writer.write(to: url.path)
        return url
    }

    func assertThrows<E: Error>(_ type: E.Type, _ body: @autoclosure () throws -> Any, mentions: [String],
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertTrue(error is E, "expected \(E.self), got \(Swift.type(of: error)): \(error)", file: file, line: line)
            let text = String(describing: error)
            for m in mentions { XCTAssertTrue(text.contains(m), "'\(text)' does not mention '\(m)'", file: file, line: line) }
        }
    }

    func testTinyModelLoadsWithHuggingFaceNames() throws {
        for untied in [false, true] {
            let loaded = try LoadedModel.load(gguf: try tinyGGUF(untiedHead: untied))
            let model = loaded.model
            XCTAssertEqual(model.config.tiedOutputHead, !untied)
            XCTAssertEqual(model.ropeConvention, .interleavedPairs)
            var expected = ["model.embed_tokens.weight", "model.norm.weight"]
            for l in 0..<2 {
                for name in ["input_layernorm", "post_attention_layernorm", "self_attn.q_proj", "self_attn.k_proj",
                             "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"] {
                    expected.append("model.layers.\(l).\(name).weight")
                }
            }
            if untied { expected.append("lm_head.weight") }
            XCTAssertEqual(Set(model.parameters.flattened().map(\.path)), Set(expected))
            XCTAssertEqual(model.parameters.parameterCount, model.config.parameterCount)
            XCTAssertEqual(model.parameters["model.layers.1.self_attn.k_proj.weight"]?.shape, [4, 8])
            let logits = model.logits(Tensor([Int32(0), 3, 5], shape: [1, 3]))
            XCTAssertEqual(logits.shape, [1, 3, 12])
            XCTAssertTrue(logits.toArray(as: Float.self).allSatisfy(\.isFinite))
            XCTAssertEqual(loaded.stopTokenIDs, [1])
        }
    }

    func testTensorNameMapping() {
        let pairs = [("blk.3.attn_q.weight", "model.layers.3.self_attn.q_proj.weight"),
                     ("blk.12.ffn_down.bias", "model.layers.12.mlp.down_proj.bias"),
                     ("blk.0.attn_norm.weight", "model.layers.0.input_layernorm.weight"),
                     ("blk.0.ffn_norm.weight", "model.layers.0.post_attention_layernorm.weight"),
                     ("token_embd.weight", "model.embed_tokens.weight"), ("output_norm.weight", "model.norm.weight"),
                     ("output.weight", "lm_head.weight")]
        for (gguf, hf) in pairs {
            XCTAssertEqual(LlamaTensorNames.huggingFaceName(forGGUF: gguf), hf)
            XCTAssertEqual(LlamaTensorNames.ggufName(forHuggingFace: hf), gguf)
        }
        XCTAssertNil(LlamaTensorNames.huggingFaceName(forGGUF: "rope_freqs.weight"))
        XCTAssertNil(LlamaTensorNames.huggingFaceName(forGGUF: "blk.x.attn_q.weight"))
        XCTAssertNil(LlamaTensorNames.ggufName(forHuggingFace: "model.layers.0.self_attn.q_proj.lora_a"))
    }

    func testMissingFileIsNamed() {
        let url = URL(fileURLWithPath: "/nonexistent/graft/model.gguf")
        assertThrows(GGUFError.self, try LoadedModel.load(gguf: url), mentions: [url.path, "not found"])
    }

    func testUnsupportedArchitectureIsNamed() throws {
        let url = try tinyGGUF(architecture: "gpt2")
        assertThrows(ModelError.self, try LoadedModel.load(gguf: url), mentions: [url.path, "'gpt2'", "llama"])
    }

    func testMissingTensorIsNamed() throws {
        let url = try tinyGGUF(skip: "blk.1.ffn_down.weight")
        assertThrows(ModelError.self, try LoadedModel.load(gguf: url), mentions: [url.path, "blk.1.ffn_down.weight"])
    }

    func testWrongShapeIsNamed() throws {
        let url = try tinyGGUF(reshape: ("blk.0.attn_k.weight", [8, 8]))
        assertThrows(ModelError.self, try LoadedModel.load(gguf: url),
                     mentions: [url.path, "model.layers.0.self_attn.k_proj.weight", "[8, 8]", "[4, 8]"])
    }

    func testTokenizerThatDoesNotFitTheModelIsRefused() throws {
        let url = try tinyGGUF(tokenCount: 10)
        assertThrows(TokenizerError.self, try LoadedModel.load(gguf: url), mentions: ["10", "12"])
    }

    /// GGUF RoPE scaling: "linear" with a factor, a `rope_freqs.weight` table, and a type Graft
    /// does not implement.
    func testGGUFRoPEScaling() throws {
        let linear = try ModelConfig(gguf: GGUFFile(path: try tinyGGUF { w in
            w.setValue(.string("linear"), forKey: "llama.rope.scaling.type")
            w.setValue(.float32(4), forKey: "llama.rope.scaling.factor")
        }.path))
        XCTAssertEqual(linear.ropeScaling, .linear(factor: 4))
        // base 10000, 4 dims: 1 and 1/100 (in float32), divided by the factor or the table
        func assertClose(_ a: [Double], _ b: [Double]) {
            XCTAssertEqual(a.count, b.count)
            for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: y * 1e-6) }
        }
        assertClose(linear.ropeInverseFrequencies, [0.25, 0.0025])
        let table = try ModelConfig(gguf: GGUFFile(path: try tinyGGUF { w in
            try w.addTensor(name: "rope_freqs.weight", shape: [2], floats: [1, 8])
        }.path))
        XCTAssertEqual(table.ropeScaling, .frequencyFactors([1, 8]))
        assertClose(table.ropeInverseFrequencies, [1, 0.01 / 8])
        let yarn = try tinyGGUF { w in w.setValue(.string("yarn"), forKey: "llama.rope.scaling.type") }
        assertThrows(ModelError.self, try ModelConfig(gguf: GGUFFile(path: yarn.path)),
                     mentions: [yarn.path, "llama.rope.scaling.type", "yarn"])
        let wrongTable = try tinyGGUF { w in try w.addTensor(name: "rope_freqs.weight", shape: [3], floats: [1, 2, 3]) }
        assertThrows(ModelError.self, try ModelConfig(gguf: GGUFFile(path: wrongTable.path)), mentions: ["rope_freqs.weight", "3"])
    }

    func testNonGGUFFileIsNamed() throws {
        let url = try LlamaTestSupport.temporaryDirectory(self).appendingPathComponent("notes.gguf")
        try Data("hello, not a model".utf8).write(to: url)
        assertThrows(GGUFError.self, try LoadedModel.load(gguf: url), mentions: [url.path])
    }
}
