import Foundation
import Graft
import GraftIO
import GraftLM
import XCTest

/// `graft convert` on the real SmolLM2 GGUF: an MLX folder that mlx-lm reads with Graft's greedy
/// tokens (scripts/fixtures/convert_reference.py), lossless and exact round trips, GGUF block
/// types, and the refusals.
final class ConvertTests: XCTestCase {
    override func setUp() {
        super.setUp()
        Parallel.setThreads(2)
    }

    private struct Reference: Decodable {
        struct FileFacts: Decodable { let bytes: Int; let checksum: String }
        struct GGUFCheck: Decodable { let bytes: Int; let checksum: String; let identical_bytes_fraction: Double }
        struct Message: Decodable { let role: String; let content: String }
        struct Case: Decodable {
            let name: String
            let messages: [Message]?
            let text: String?
            let prompt_ids: [Int32]
            let greedy_ids: [Int32]
        }
        let convert_args: [String]
        let greedy_tokens: Int
        let files: [String: FileFacts]
        let cases: [Case]
        let gguf_checks: [String: GGUFCheck]
    }

    private static func reference() throws -> Reference {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
            .appendingPathComponent("convert/mlx_lm_reference.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// convert_reference.py's checksum: Σ (word_i + 1)·(i + 1) mod 2⁶⁴ over the file as
    /// little-endian 32-bit words (zero-padded).
    private static func checksum(_ url: URL) throws -> String {
        var data = try Data(contentsOf: url, options: .alwaysMapped)
        if data.count % 4 != 0 { data.append(contentsOf: [UInt8](repeating: 0, count: 4 - data.count % 4)) }
        var sum: UInt64 = 0
        data.withUnsafeBytes { raw in
            for i in 0..<(raw.count / 4) {
                let word = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                sum = sum &+ (word &+ 1) &* UInt64(i + 1)
            }
        }
        let hex = String(sum, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    private func lastLogits(_ model: LlamaModel, _ ids: [Int32]) throws -> [Float] {
        try model.step(ids, cache: KVCache(layerCount: model.config.layerCount)).toArray(as: Float.self)
    }

    private func greedy(_ loaded: LoadedModel, _ prompt: [Int32], _ count: Int) throws -> [Int32] {
        try Generator(loaded).generate(prompt: prompt, options: GenerationOptions(maxTokens: count, stopTokenIDs: [])).tokens
    }

    private func argmax(_ values: [Float]) -> Int { values.indices.max { values[$0] < values[$1] }! }

    private func chatPrompt(_ loaded: LoadedModel) throws -> [Int32] {
        try loaded.chatTokens([ChatMessage(role: "user", content: "What is the capital of France?")])
    }

    /// The 4-bit (groups of 64) MLX folder: written by the CLI with the bits per weight of the
    /// format (4 + two F32 numbers per 64 weights = 5), byte-identical to the folder mlx-lm read in
    /// convert_reference.py, and Graft's prompt ids and greedy tokens on it equal mlx-lm's.
    func testMLXFolderMatchesMLXLM() throws {
        let reference = try Self.reference()
        let folder = try LlamaTestSupport.temporaryDirectory(self).appendingPathComponent("mlx4")
        _ = try LlamaTestSupport.model()
        let run = try GraftCLI.run(["convert", "--model", LlamaTestSupport.modelURL.path, "--out", folder.path] + reference.convert_args)
        XCTAssertEqual(run.status, 0, run.stderr)
        let after = try XCTUnwrap(run.stdout.split(separator: "\n").first { $0.hasPrefix("after:") }, run.stdout)
        // Every matrix: 4 bits + an F32 scale and bias per 64 weights = 5 bits; norms: F32.
        let source = try GGUFFile(path: LlamaTestSupport.modelURL.path)
        var bitSum = 0.0, weightTotal = 0.0
        for tensor in source.tensorInfos {
            let count = Double(tensor.shape.reduce(1, *))
            bitSum += count * (tensor.shape.count == 2 ? 4 + 2 * 32 / 64 : 32)
            weightTotal += count
        }
        XCTAssertTrue(after.hasPrefix("after:  " + String(format: "%.2f", bitSum / weightTotal) + " bits/weight"), String(after))

        let written = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(written, reference.files.keys.sorted())
        for name in written {
            let facts = try XCTUnwrap(reference.files[name])
            let url = folder.appendingPathComponent(name)
            XCTAssertEqual(try Data(contentsOf: url).count, facts.bytes, name)
            XCTAssertEqual(try Self.checksum(url), facts.checksum,
                           "\(name) differs from the bytes mlx-lm read: convert changed; re-run scripts/fixtures/convert_reference.py")
        }
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as? [String: Any])
        let quantization = try XCTUnwrap(config["quantization"] as? [String: Any])
        XCTAssertEqual(quantization["bits"] as? Int, 4)
        XCTAssertEqual(quantization["group_size"] as? Int, 64)
        let weights = try SafetensorsFile(contentsOf: folder.appendingPathComponent("model.safetensors"))
        let qProj = try weights.info("model.layers.0.self_attn.q_proj.weight")
        XCTAssertEqual(qProj.dtype, .u32)
        XCTAssertEqual(qProj.shape, [576, 576 * 4 / 32])
        XCTAssertEqual(try weights.info("model.layers.0.self_attn.q_proj.scales").shape, [576, 576 / 64])

        let loaded = try LoadedModel.load(path: folder)
        for testCase in reference.cases {
            let prompt: [Int32]
            if let messages = testCase.messages {
                prompt = try loaded.chatTokens(messages.map { ChatMessage(role: $0.role, content: $0.content) })
            } else {
                prompt = loaded.textTokens(try XCTUnwrap(testCase.text))
            }
            XCTAssertEqual(prompt, testCase.prompt_ids, "\(testCase.name): Graft vs mlx-lm tokenization of the converted tokenizer files")
            XCTAssertEqual(try greedy(loaded, testCase.prompt_ids, reference.greedy_tokens), testCase.greedy_ids,
                           "\(testCase.name): Graft vs mlx-lm greedy tokens on the same folder")
        }
    }

    /// `--dequantize` to a GGUF writes the source's values as F32 in the same layout: the logits are
    /// bit-identical to the source loaded with every weight dequantized. Through a float32
    /// safetensors folder (Hugging Face row order, half-split RoPE) they agree to float rounding and
    /// the greedy tokens are the same.
    func testDequantizedRoundTrips() throws {
        let directory = try LlamaTestSupport.temporaryDirectory(self)
        let dense = try LlamaTestSupport.denseModel()
        let prompt = try chatPrompt(dense)
        let expected = try lastLogits(dense.model, prompt)

        var options = ConvertOptions()
        options.format = .gguf
        options.dequantize = true
        let ggufURL = directory.appendingPathComponent("f32.gguf")
        let gguf = try ModelConverter.convert(source: LlamaTestSupport.modelURL, output: ggufURL, options: options)
        XCTAssertEqual(gguf.after.bitsPerWeight, 32, accuracy: 1e-9)
        XCTAssertEqual(try lastLogits(LoadedModel.load(gguf: ggufURL).model, prompt), expected)

        options.format = .safetensors
        let folder = directory.appendingPathComponent("f32")
        _ = try ModelConverter.convert(source: LlamaTestSupport.modelURL, output: folder, options: options)
        let loaded = try LoadedModel.load(path: folder)
        XCTAssertEqual(try chatPrompt(loaded), prompt, "tokenizer.json written from the GGUF metadata")
        XCTAssertEqual(loaded.tokenizer.chatTemplate, dense.tokenizer.chatTemplate)
        XCTAssertLessThan(LlamaTestSupport.relativeError(try lastLogits(loaded.model, prompt), expected), 1e-5)
        XCTAssertEqual(try greedy(loaded, prompt, 16), try greedy(dense, prompt, 16))

        // The float folder as a source: quantizing it gives the same weights as quantizing the GGUF.
        var quantize = ConvertOptions()
        quantize.quantizeBits = 4
        let fromFolder = directory.appendingPathComponent("from-folder"), fromGGUF = directory.appendingPathComponent("from-gguf")
        _ = try ModelConverter.convert(source: folder, output: fromFolder, options: quantize)
        _ = try ModelConverter.convert(source: LlamaTestSupport.modelURL, output: fromGGUF, options: quantize)
        for name in ["model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
            XCTAssertEqual(try Data(contentsOf: fromFolder.appendingPathComponent(name)),
                           try Data(contentsOf: fromGGUF.appendingPathComponent(name)), name)
        }
    }

    /// A Hugging Face folder becomes a GGUF with the source's llama.cpp metadata: GGUF → float32
    /// folder → GGUF gives the tensors (names, types, bytes) of GGUF → GGUF, the same tokens,
    /// token types and merges, special ids and chat template, in F32 and in Q8_0.
    func testFolderToGGUFRoundTrip() throws {
        let directory = try LlamaTestSupport.temporaryDirectory(self)
        var options = ConvertOptions()
        options.dequantize = true
        let folder = directory.appendingPathComponent("f32")
        _ = try ModelConverter.convert(source: LlamaTestSupport.modelURL, output: folder, options: options)
        let original = try GGUFFile(path: LlamaTestSupport.modelURL.path)
        for (name, bits) in [("f32", nil), ("q8_0", 8)] as [(String, Int?)] {
            var gguf = ConvertOptions()
            gguf.format = .gguf
            gguf.dequantize = bits == nil
            gguf.quantizeBits = bits
            let direct = directory.appendingPathComponent("direct-\(name).gguf"), viaFolder = directory.appendingPathComponent("folder-\(name).gguf")
            _ = try ModelConverter.convert(source: LlamaTestSupport.modelURL, output: direct, options: gguf)
            _ = try ModelConverter.convert(source: folder, output: viaFolder, options: gguf)
            let expected = try GGUFFile(path: direct.path), found = try GGUFFile(path: viaFolder.path)
            XCTAssertEqual(Set(found.tensorNames), Set(expected.tensorNames), name)
            for tensor in expected.tensors {
                let other = try found.requireTensor(tensor.name)
                XCTAssertEqual(other.type, tensor.type, "\(name) \(tensor.name)")
                XCTAssertEqual(other.shape, tensor.shape, "\(name) \(tensor.name)")
                XCTAssertTrue(other.data.elementsEqual(tensor.data), "\(name) \(tensor.name): bytes differ")
            }
            for key in ["tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.token_type",
                        "tokenizer.ggml.merges", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                        "tokenizer.ggml.padding_token_id", "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.add_bos_token",
                        "tokenizer.chat_template", "llama.context_length", "llama.embedding_length", "llama.block_count",
                        "llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv",
                        "llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon", "llama.rope.dimension_count",
                        "general.file_type"] {
                XCTAssertEqual(found.metadata[key], expected.metadata[key], "\(name): \(key)")
                XCTAssertNotNil(found.metadata[key], "\(name): \(key)")
            }
            XCTAssertEqual(found.metadata["tokenizer.ggml.tokens"], original.metadata["tokenizer.ggml.tokens"])
        }
    }

    /// Keeping the source's Q4_1 blocks with F16 scales and biases is lossless (Q4_1 stores d and m
    /// in f16): the folder's logits equal the GGUF's to float rounding. An F16 float folder
    /// stores every weight as F16 and stays close to the float32 model.
    func testF16SafetensorsFolders() throws {
        let directory = try LlamaTestSupport.temporaryDirectory(self)
        let source = try LlamaTestSupport.model()
        let prompt = try chatPrompt(source)
        var options = ConvertOptions()
        options.dtype = .f16
        let packed = directory.appendingPathComponent("q4-f16")
        let result = try ModelConverter.convert(source: LlamaTestSupport.modelURL, output: packed, options: options)
        let scales = try SafetensorsFile(contentsOf: packed.appendingPathComponent("model.safetensors"))
            .info("model.layers.3.mlp.down_proj.scales")
        XCTAssertEqual(scales.dtype, .f16)
        XCTAssertEqual(scales.shape, [576, 1536 / 32])
        // MLX groups carry a scale and a bias (F16 here): Q4_1 blocks → 4 + 32/32 = 5 bits, Q8_0
        // blocks (no offset in GGUF) → 8 + 32/32 = 9 bits; F32 norms → F16.
        var bitSum = 0.0, weightTotal = 0.0
        for tensor in try GGUFFile(path: LlamaTestSupport.modelURL.path).tensorInfos {
            let count = Double(tensor.shape.reduce(1, *))
            let bits: Double = switch tensor.type {
            case .q4_1: 5
            case .q8_0: 9
            default: 16
            }
            bitSum += count * bits
            weightTotal += count
        }
        XCTAssertEqual(result.after.bitsPerWeight, bitSum / weightTotal, accuracy: 1e-9)
        XCTAssertLessThan(LlamaTestSupport.relativeError(try lastLogits(LoadedModel.load(path: packed).model, prompt),
                                                         try lastLogits(source.model, prompt)), 1e-5)

        options.dequantize = true
        let float16 = directory.appendingPathComponent("f16")
        let halves = try ModelConverter.convert(source: LlamaTestSupport.modelURL, output: float16, options: options)
        XCTAssertEqual(halves.after.bitsPerWeight, 16, accuracy: 1e-9)
        XCTAssertEqual(try SafetensorsFile(contentsOf: float16.appendingPathComponent("model.safetensors"))
            .info("model.layers.0.self_attn.k_proj.weight").dtype, .f16)
        let dense = try LlamaTestSupport.denseModel()
        let logits = try lastLogits(LoadedModel.load(path: float16).model, prompt), expected = try lastLogits(dense.model, prompt)
        XCTAssertLessThan(LlamaTestSupport.relativeError(logits, expected), 1e-2, "f16 rounding of the weights")
        XCTAssertEqual(argmax(logits), argmax(expected))
    }

    /// GGUF outputs hold the requested block types with their sizes (Q8_0: 34 bytes per 32
    /// weights = 8.5 bits; Q4_0: 18 bytes = 4.5 bits; F16: 16 bits), are byte-identical to the
    /// files in which convert_reference.py found every block equal to gguf-py's quantizers, keep
    /// the tokenizer and chat template, and load back with the source's next token (the error
    /// growing as the grid coarsens: F16 < Q8_0 < Q4_0).
    func testGGUFBlockTypes() throws {
        let directory = try LlamaTestSupport.temporaryDirectory(self)
        let source = try LlamaTestSupport.model()
        let prompt = try chatPrompt(source)
        let expected = try lastLogits(LlamaTestSupport.denseModel().model, prompt)
        let checks = try Self.reference().gguf_checks
        var errors: [String: Float] = [:]
        let cases: [(name: String, bits: Int?, fourBit: GGMLType, dequantize: Bool, type: GGMLType, bitsPerWeight: Double)] = [
            ("q8_0", 8, .q4_1, false, .q8_0, 8.5), ("q4_0", 4, .q4_0, false, .q4_0, 4.5), ("f16", nil, .q4_1, true, .f16, 16),
        ]
        for c in cases {
            var options = ConvertOptions()
            options.format = .gguf
            options.quantizeBits = c.bits
            options.ggufFourBitType = c.fourBit
            options.dequantize = c.dequantize
            options.dtype = .f16
            let url = directory.appendingPathComponent(c.name + ".gguf")
            let result = try ModelConverter.convert(source: LlamaTestSupport.modelURL, output: url, options: options)
            let check = try XCTUnwrap(checks[c.name])
            XCTAssertEqual(check.identical_bytes_fraction, 1, "\(c.name): gguf-py's quantizer on the same weights")
            XCTAssertEqual(try Self.checksum(url), check.checksum, "\(c.name): not the bytes convert_reference.py checked")
            let file = try GGUFFile(path: url.path)
            XCTAssertEqual(try file.requireTensor("blk.0.attn_q.weight").type, c.type, c.name)
            XCTAssertEqual(try file.requireTensor("blk.0.attn_norm.weight").type, .f32, "\(c.name): norms stay F32")
            XCTAssertGreaterThanOrEqual(result.after.bitsPerWeight, c.bitsPerWeight, c.name)
            XCTAssertLessThan(result.after.bitsPerWeight, c.bitsPerWeight + 0.01, c.name)
            let loaded = try LoadedModel.load(gguf: url)
            XCTAssertEqual(loaded.tokenizer.chatTemplate, source.tokenizer.chatTemplate, c.name)
            let logits = try lastLogits(loaded.model, prompt)
            XCTAssertEqual(argmax(logits), argmax(expected), c.name)
            errors[c.name] = LlamaTestSupport.relativeError(logits, expected)
        }
        XCTAssertLessThan(errors["f16"]!, errors["q8_0"]!, "\(errors)")
        XCTAssertLessThan(errors["q8_0"]!, errors["q4_0"]!, "\(errors)")
    }

    /// Refusals through the binary: an existing output (kept intact) unless --force, a group
    /// size that does not divide SmolLM2's rows (576 = 4.5 × 128), an unsupported group size, an
    /// unknown dtype, and a GGUF group size other than 32. Nothing is left half-written.
    func testBadInputsAreRefused() throws {
        let directory = try LlamaTestSupport.temporaryDirectory(self)
        let model = LlamaTestSupport.modelURL.path
        _ = try LlamaTestSupport.model()
        let existing = directory.appendingPathComponent("existing")
        try FileManager.default.createDirectory(at: existing, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: existing.appendingPathComponent("marker"))

        let refused = try GraftCLI.run(["convert", "--model", model, "--out", existing.path])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("\(existing.path) already exists") && refused.stderr.contains("--force"), refused.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: existing.appendingPathComponent("marker").path))

        let output = directory.appendingPathComponent("out").path
        let expectations: [([String], String)] = [
            (["--quantize", "4", "--group-size", "128"], "is not a multiple of 128"),
            (["--quantize", "4", "--group-size", "48"], "--group-size 48 is not supported"),
            (["--dtype", "f8"], "unknown --dtype 'f8'"),
            (["--format", "gguf", "--quantize", "4", "--group-size", "64"], "cannot be written as GGUF"),
            (["--quantize", "3"], "--quantize 3 is not supported"),
            (["--dequantize", "--quantize", "8"], "exclude each other"),
            (["--q4-type", "q4_0"], "--q4-type applies to --format gguf with --quantize 4"),
            (["--format", "gguf", "--quantize", "4", "--q4-type", "q5_0"], "unknown --q4-type 'q5_0'"),
        ]
        for (arguments, message) in expectations {
            let run = try GraftCLI.run(["convert", "--model", model, "--out", output] + arguments)
            XCTAssertNotEqual(run.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        XCTAssertEqual(leftovers, ["existing"], "no output and no temporary folder after refusals")

        let forced = try GraftCLI.run(["convert", "--model", model, "--out", existing.path, "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: existing.appendingPathComponent("marker").path), "replaced")
        XCTAssertTrue(FileManager.default.fileExists(atPath: existing.appendingPathComponent("tokenizer.json").path))
    }
}
