import Foundation
import Graft
import GraftIO
import GraftLM
import XCTest

/// `--quantize` at load: packed modules bit-identical to MLX's `mx.quantize`, logits close to the
/// float model's, and refusals for what cannot be quantized.
final class HuggingFaceModelQuantizeTests: XCTestCase {
    typealias Support = HuggingFaceModelSupport

    /// Every 2-D weight of the tiny Llama (embedding, head, 7 projections per layer).
    static let matrixModules = ["model.embed_tokens", "lm_head"] + (0..<2).flatMap { layer in
        ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
         "mlp.down_proj"].map { "model.layers.\(layer).\($0)" }
    }

    /// Quantizing the bf16 folder with 4 bits in groups of 32 gives exactly the packed words MLX
    /// wrote into the llama-mlx-q4 folder, and the same scales and biases once rounded to bf16
    /// as that folder stores them.
    func testQuantize4Group32MatchesMLXBitForBit() throws {
        let ours = try LoadedModel.load(path: Support.folder("llama-bf16"), quantize: QuantizeOption(bits: 4, groupSize: 32))
        let mlx = try SafetensorsShardedModel(directory: Support.folder("llama-mlx-q4"))
        let p = ours.model.parameters
        for module in Self.matrixModules {
            let packed = try XCTUnwrap(p[module + ".weight"], module)
            XCTAssertEqual(packed.dtype, .uint32, module)
            let words = packed.toArray(as: UInt32.self)
            let expectedWords = try mlx.withRawBytes(module + ".weight") { raw in
                (0..<(raw.count / 4)).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
            }
            XCTAssertEqual(packed.shape, try mlx.info(module + ".weight").shape, module)
            XCTAssertEqual(words, expectedWords, "packed words of \(module)")
            for part in ["scales", "biases"] {
                let values = try XCTUnwrap(p[module + "." + part], module).toArray(as: Float.self)
                let rounded = values.map { SafetensorsConversion.float(fromBFloat16: SafetensorsConversion.bfloat16Bits(from: $0)) }
                XCTAssertEqual(rounded, try mlx.floats(module + "." + part), "\(part) of \(module)")
            }
        }
    }

    /// `--quantize 8` (groups of 64) packs every 2-D weight and gives the logits of the reference
    /// that quantized the same weights with `mx.quantize` and dequantized them; it is closer to
    /// the float model than MLX's 4-bit version of it.
    func testQuantize8MatchesMLXReferenceAndStaysCloseToFloat() throws {
        let cases = try Support.reference().cases
        let reference = cases["llama_bf16_quantize8"]!
        let loaded = try LoadedModel.load(path: Support.folder("llama-bf16"), quantize: QuantizeOption(bits: 8))
        let p = loaded.model.parameters
        for module in Self.matrixModules {
            XCTAssertEqual(p[module + ".weight"]?.dtype, .uint32, module)
            XCTAssertEqual(p[module + ".scales"]?.shape[1], (module.hasSuffix("down_proj") ? 128 : 64) / 64, module)
        }
        XCTAssertEqual(p["model.layers.0.self_attn.q_proj.weight"]?.shape, [64, 64 / 4], "4 values per word at 8 bits")
        XCTAssertEqual(p["model.norm.weight"]?.dtype, .float32, "norms stay float")
        let logits = try Support.logits(loaded, reference.promptIDs)
        let error = Support.relativeError(logits, try Support.floats(reference.logitsFile))
        XCTAssertLessThan(error, 1e-3)
        XCTAssertEqual(try Support.greedy(loaded, prompt: reference.promptIDs, count: reference.greedyIDs.count), reference.greedyIDs)
        let float = try Support.floats(cases["llama_bf16"]!.logitsFile)
        let floatError = Support.relativeError(logits, float)
        let fourBitError = Support.relativeError(try Support.floats(cases["llama_mlx_q4"]!.logitsFile), float)
        print("--quantize 8: logits relative error \(error) vs the MLX 8-bit reference, \(floatError) vs float "
              + "(MLX 4-bit/32: \(fourBitError) vs float)")
        XCTAssertGreaterThan(floatError, 0, "quantized weights cannot give the float logits exactly")
        XCTAssertLessThan(floatError, fourBitError / 4)
    }

    /// Quantizing a model already in memory (what `load(path:quantize:)` does for float GGUF
    /// files) packs the same values as quantizing while reading the folder.
    func testQuantizingALoadedModelEqualsQuantizingAtLoad() throws {
        let option = try QuantizeOption(bits: 4, groupSize: 32)
        let dense = try LoadedModel.load(path: Support.folder("llama-bf16"))
        let later = try ModelQuantization.quantized(dense.model, option: option)
        let atLoad = try LoadedModel.load(path: Support.folder("llama-bf16"), quantize: option).model
        let a = later.parameters.flattened(), b = atLoad.parameters.flattened()
        XCTAssertEqual(a.map(\.path), b.map(\.path))
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.tensor.dtype, y.tensor.dtype, x.path)
            if x.tensor.dtype == .uint32 {
                XCTAssertEqual(x.tensor.toArray(as: UInt32.self), y.tensor.toArray(as: UInt32.self), x.path)
            } else {
                XCTAssertEqual(x.tensor.toArray(as: Float.self), y.tensor.toArray(as: Float.self), x.path)
            }
        }
    }

    /// The real SmolLM2 dequantized to float32, then quantized to 8 bits in memory: the next
    /// token is unchanged (the error is printed for the report).
    func testQuantizingRealFloatModelKeepsTheNextToken() throws {
        let dense = try LlamaTestSupport.denseModel()
        let quantized = try ModelQuantization.quantized(dense.model, option: QuantizeOption(bits: 8, groupSize: 64))
        XCTAssertEqual(quantized.parameters["model.layers.5.mlp.up_proj.weight"]?.dtype, .uint32)
        XCTAssertEqual(quantized.parameters["model.embed_tokens.weight"]?.dtype, .uint32)
        let ids = dense.textTokens("The capital of France is")
        let a = try dense.model.step(ids, cache: KVCache(layerCount: dense.model.config.layerCount)).toArray(as: Float.self)
        let b = try quantized.step(ids, cache: KVCache(layerCount: quantized.config.layerCount)).toArray(as: Float.self)
        print("SmolLM2 float → 8-bit/64: last-position logits relative error \(Support.relativeError(b, a))")
        XCTAssertEqual(b.indices.max { b[$0] < b[$1] }, a.indices.max { a[$0] < a[$1] })
    }

    func testRowLengthNotDivisibleByGroupIsRefusedNamingTheFile() throws {
        let folder = Support.folder("llama-bf16")
        XCTAssertThrowsError(try LoadedModel.load(path: folder, quantize: QuantizeOption(bits: 4, groupSize: 128))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(folder.path) && text.contains(".safetensors"), text)
            XCTAssertTrue(text.contains("row length 64") && text.contains("128"), text)
        }
    }

    func testAlreadyQuantizedModelsAreRefused() throws {
        let folder = Support.folder("llama-mlx-q4")
        XCTAssertThrowsError(try LoadedModel.load(path: folder, quantize: QuantizeOption(bits: 8))) { error in
            XCTAssertTrue("\(error)".contains(folder.appendingPathComponent("config.json").path), "\(error)")
            XCTAssertTrue("\(error)".contains("already quantized"), "\(error)")
        }
        _ = try LlamaTestSupport.model()
        XCTAssertThrowsError(try LoadedModel.load(path: LlamaTestSupport.modelURL, quantize: QuantizeOption(bits: 4))) { error in
            XCTAssertTrue("\(error)".contains(LlamaTestSupport.modelURL.path), "\(error)")
            XCTAssertTrue("\(error)".contains("already quantized"), "\(error)")
        }
    }

    func testUnsupportedBitsAndGroupSizesAreRefused() {
        XCTAssertThrowsError(try QuantizeOption(bits: 3)) { XCTAssertTrue("\($0)".contains("4 or 8 bits"), "\($0)") }
        XCTAssertThrowsError(try QuantizeOption(bits: 2)) { XCTAssertTrue("\($0)".contains("2 bits"), "\($0)") }
        XCTAssertThrowsError(try QuantizeOption(bits: 4, groupSize: 16)) { XCTAssertTrue("\($0)".contains("group size 16"), "\($0)") }
        XCTAssertNoThrow(try QuantizeOption(bits: 8, groupSize: 128))
    }
}
