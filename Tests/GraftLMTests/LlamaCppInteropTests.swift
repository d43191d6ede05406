import Foundation
import Graft
import GraftIO
import GraftLM
import XCTest

/// Graft against llama.cpp (llama-cpp-python, fixtures from scripts/fixtures/llamacpp_reference.py):
/// greedy ids on the packed Q4_1 model, with a GGUF LoRA that Graft exported, and from a GGUF
/// that `graft fuse` wrote.
///
/// llama.cpp rounds activations to 8 bits inside quantized matmuls; Graft computes them in
/// float32 (and matches transformers' float32 run for 64 tokens, LlamaForwardTests). So the two
/// greedy runs may part where llama.cpp's two best logits are nearly tied. Each test therefore
/// checks three things: (1) teacher forcing along llama.cpp's own continuation: Graft's logits
/// for llama.cpp's 8 best ids at every step are no farther from llama.cpp's than exact float32
/// arithmetic (transformers, measured by the script) is, and Graft picks llama.cpp's token at
/// every step but near ties; (2) free-running greedy ids equal llama.cpp's for the first
/// ``requiredTokens`` tokens unless they part earlier at a near tie; (3) the first drift of
/// each prompt is printed.
final class LlamaCppInteropTests: XCTestCase {
    /// Tokens that must match before any drift that is not a near tie.
    static let requiredTokens = 16
    /// A near tie: llama.cpp's two candidate logits closer than this. llama.cpp's logits differ
    /// from exact float32 ones by up to 0.5–1.0 along these continuations (the script's
    /// `float32_vs_llamacpp.max_abs`); the drifts seen happen at gaps of 0.02–0.12.
    static let tieMargin: Float = 0.5
    /// Allowed excess of Graft's |Δlogit| to llama.cpp over transformers' (float32): Graft's
    /// logits are within 1e-3 × max |logit| (~35) of transformers' (LlamaForwardTests).
    static let float32Slack: (max: Float, mean: Float) = (0.05, 0.01)

    override func setUp() {
        super.setUp()
        Parallel.setThreads(2)
    }

    /// The packed Q4_1 model: four prompts (chat, plain text, code, a short chat question).
    func testGreedyIDsMatchLlamaCpp() throws {
        let loaded = try LlamaTestSupport.model()
        let reference = try LlamaCppReference.load()
        XCTAssertEqual(reference.base.count, 4)
        for c in reference.base {
            try check(c, loaded: loaded, label: "base/\(c.name)") { tokens, cache in
                try loaded.model.step(tokens, cache: cache, lastPositionOnly: false)
            }
        }
    }

    /// The GGUF LoRA written by `graft export-adapter --format gguf` is byte for byte the file
    /// llama.cpp loaded with `lora_path`, and Graft with that file gives llama.cpp's greedy ids
    /// (generation as `graft generate --adapter` does it: adapters fused into float32 weights;
    /// teacher forcing with the unfused adapter as llama.cpp applies it, W·x + s·B·(A·x)).
    func testGGUFLoRAExportedByGraftMatchesLlamaCpp() throws {
        let loaded = try LlamaTestSupport.model()
        let reference = try LlamaCppReference.load()
        let committed = LlamaCppReference.directory.appendingPathComponent(reference.lora.adapterFile)
        let exported = try LlamaTestSupport.temporaryDirectory(self).appendingPathComponent("adapter.gguf")
        _ = try AdapterExporter.export(adapterPath: AdapterTestSupport.peftFixture.path, modelURL: LlamaTestSupport.modelURL,
                                       output: exported, format: .gguf)
        XCTAssertEqual(try Data(contentsOf: exported), try Data(contentsOf: committed),
                       "graft export-adapter no longer writes the GGUF LoRA llama.cpp ran (re-run llamacpp_reference.py)")

        let adapter = try LoadedAdapter.open(path: committed.path, model: loaded.model)
        XCTAssertEqual(adapter.format, .gguf)
        let withAdapter = loaded.replacingModel(try loaded.model.fused(with: adapter.adapter, precision: .float32))
        let base = Dictionary(uniqueKeysWithValues: reference.base.map { ($0.name, $0) })
        XCTAssertEqual(reference.lora.cases.map(\.name), ["chat", "france"])
        for c in reference.lora.cases {
            try check(c, loaded: withAdapter, label: "lora/\(c.name)") { tokens, cache in
                try loaded.model.step(tokens, cache: cache, adapters: adapter.tree, lora: adapter.lora, lastPositionOnly: false)
            }
            // The adapter changes llama.cpp's continuation, and without it Graft would miss the
            // tolerance above by far.
            XCTAssertNotEqual(c.greedyIDs, base[c.name]!.greedyIDs, c.name)
            let layers = loaded.model.config.layerCount
            let without = GreedyReference.compare(c, graftLogits: try GreedyReference.logitsAlongToolPath(c, step: { tokens, cache in
                try loaded.model.step(tokens, cache: cache, lastPositionOnly: false)
            }, layerCount: layers))
            print("lora/\(c.name): without the adapter, max |Δlogit| \(without.maxLogitDifference), mean \(without.meanLogitDifference)")
            XCTAssertGreaterThan(without.maxLogitDifference, 2 * (c.float32Distance!.maxAbs + Self.float32Slack.max),
                                 "\(c.name): the adapter must matter")
        }
    }

    /// `graft fuse --format gguf --quantize 8` re-creates the file llama.cpp ran (same size and
    /// CRC-32), and Graft's generation from that file gives llama.cpp's greedy ids.
    func testFusedQ8GGUFMatchesLlamaCpp() throws {
        let reference = try LlamaCppReference.load()
        let output = try LlamaTestSupport.temporaryDirectory(self).appendingPathComponent("fused-q8_0.gguf")
        _ = try ModelFuser.fuse(modelURL: LlamaTestSupport.modelURL, adapterPath: AdapterTestSupport.peftFixture.path,
                                output: output, format: .gguf, precision: .quantized(bits: 8, groupSize: 32))
        let bytes = try Data(contentsOf: output, options: .alwaysMapped)
        XCTAssertEqual(bytes.count, reference.fusedQ8.fileSize)
        XCTAssertEqual(CRC32.checksum(bytes), reference.fusedQ8.fileCRC32,
                       "graft fuse no longer writes the file llama.cpp ran (re-run llamacpp_reference.py)")
        let fused = try LoadedModel.load(gguf: output)
        XCTAssertEqual(reference.fusedQ8.cases.map(\.name), ["chat", "france"])
        for c in reference.fusedQ8.cases {
            try check(c, loaded: fused, label: "fused_q8_0/\(c.name)") { tokens, cache in
                try fused.model.step(tokens, cache: cache, lastPositionOnly: false)
            }
        }
    }

    /// `graft convert` to a Q4_0 GGUF: llama.cpp runs the very file, and Graft on it agrees.
    func testConvertedQ4_0GGUFMatchesLlamaCpp() throws {
        let reference = try LlamaCppReference.load()
        let output = try LlamaTestSupport.temporaryDirectory(self).appendingPathComponent("converted-q4_0.gguf")
        var options = ConvertOptions()
        options.format = .gguf
        options.quantizeBits = 4
        options.ggufFourBitType = .q4_0
        _ = try ModelConverter.convert(source: LlamaTestSupport.modelURL, output: output, options: options)
        let bytes = try Data(contentsOf: output, options: .alwaysMapped)
        XCTAssertEqual(bytes.count, reference.convertedQ4_0.fileSize)
        XCTAssertEqual(CRC32.checksum(bytes), reference.convertedQ4_0.fileCRC32,
                       "graft convert no longer writes the file llama.cpp ran (re-run llamacpp_reference.py)")
        let converted = try LoadedModel.load(gguf: output)
        XCTAssertFalse(reference.convertedQ4_0.cases.isEmpty)
        for c in reference.convertedQ4_0.cases {
            try check(c, loaded: converted, label: "converted_q4_0/\(c.name)") { tokens, cache in
                try converted.model.step(tokens, cache: cache, lastPositionOnly: false)
            }
        }
    }

    /// Teacher forcing plus free-running greedy generation (continuing through EOS).
    private func check(_ c: GreedyReference.Case, loaded: LoadedModel, label: String,
                       step: ([Int32], KVCache) throws -> Tensor, line: UInt = #line) throws {
        let layers = loaded.model.config.layerCount
        let path = GreedyReference.compare(c, graftLogits: try GreedyReference.logitsAlongToolPath(c, step: step, layerCount: layers))
        let float32 = try XCTUnwrap(c.float32Distance, "\(label): the fixture lacks float32_vs_llamacpp", line: line)
        XCTAssertLessThan(path.maxLogitDifference, float32.maxAbs + Self.float32Slack.max,
                          "\(label): max |Δlogit| to llama.cpp along its path, transformers: \(float32.maxAbs)", line: line)
        XCTAssertLessThan(path.meanLogitDifference, float32.meanAbs + Self.float32Slack.mean,
                          "\(label): mean |Δlogit| to llama.cpp along its path, transformers: \(float32.meanAbs)", line: line)
        for d in path.disagreements {
            XCTAssertLessThan(d.toolMargin ?? .infinity, Self.tieMargin,
                              "\(label): at step \(d.step) Graft prefers \(d.graft) over llama.cpp's \(d.tool) without a near tie", line: line)
        }
        let options = GenerationOptions(maxTokens: c.greedyIDs.count, stopTokenIDs: [])
        let result = try Generator(loaded).generate(prompt: c.promptIDs, options: options)
        XCTAssertEqual(result.tokens.count, c.greedyIDs.count, label, line: line)
        print("\(label): teacher forcing: |Δlogit| max \(path.maxLogitDifference) (transformers \(float32.maxAbs)), mean \(path.meanLogitDifference) (transformers \(float32.meanAbs)), argmax differs at steps \(path.disagreements.map(\.step))")
        GreedyReference.assertSameGreedyStart(result.tokens, c, required: Self.requiredTokens, tieMargin: Self.tieMargin,
                                              label: label, line: line)
    }
}
