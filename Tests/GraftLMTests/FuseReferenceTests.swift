import Foundation
import Graft
import GraftLM
import XCTest

/// `graft fuse --dtype bf16` Hugging Face folders against transformers: what
/// scripts/fixtures/fuse_reference.py recorded when AutoTokenizer and AutoModelForCausalLM loaded
/// a folder Graft wrote (the same bytes: fusing is deterministic, and the checksums say so).
final class FuseReferenceTests: XCTestCase {
    override func setUp() {
        super.setUp()
        Parallel.setThreads(2)
    }

    struct Reference: Decodable {
        let checksums: [String: String]
        let dtypes: [String]
        let torch_dtype: String
        let texts: [String]
        let text_ids: [[Int32]]
        let decoded: [String]
        let prompts: [String]
        let chat_ids: [[Int32]]
        let greedy_ids: [[Int32]]
    }

    static func reference() throws -> Reference {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
            .appendingPathComponent("fuse_reference/reference.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// The script's checksum: Σ (i + 1) · word_i mod 2⁶⁴ over the file's little-endian uint32
    /// words (the tail padded with zeros), as 16 hex digits.
    static func checksum(_ url: URL) throws -> String {
        var data = try Data(contentsOf: url, options: .alwaysMapped)
        if data.count % 4 != 0 { data.append(contentsOf: [UInt8](repeating: 0, count: 4 - data.count % 4)) }
        var total: UInt64 = 0
        data.withUnsafeBytes { raw in
            for i in 0..<(raw.count / 4) {
                let word = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                total = total &+ word &* UInt64(i + 1)
            }
        }
        return String(format: "%016llx", total)
    }

    /// The tokenizer files written from the GGUF's tokenizer are the ones transformers read;
    /// transformers' ids, decoded text and chat-template ids equal Graft's, both from the GGUF
    /// tokenizer and from the written files read back.
    func testTokenizerFilesMatchTransformers() throws {
        let reference = try Self.reference()
        let loaded = try LlamaTestSupport.model()
        let folder = try LlamaTestSupport.temporaryDirectory(self)
        try HuggingFaceTokenizerFiles(tokenizer: loaded.tokenizer, modelMaxLength: loaded.model.config.contextLength).write(into: folder)
        for name in ["tokenizer.json", "tokenizer_config.json"] {
            XCTAssertEqual(try Self.checksum(folder.appendingPathComponent(name)), reference.checksums[name], name)
        }
        let readBack = try BPETokenizer(directory: folder)
        XCTAssertEqual(readBack.chatTemplate, loaded.tokenizer.chatTemplate)
        XCTAssertEqual(readBack.vocabularySize, loaded.tokenizer.vocabularySize)
        for (index, text) in reference.texts.enumerated() {
            let expected = reference.text_ids[index]
            XCTAssertEqual(loaded.tokenizer.encode(text), expected, "GGUF tokenizer: \(text.debugDescription)")
            XCTAssertEqual(readBack.encode(text), expected, "written tokenizer.json: \(text.debugDescription)")
            XCTAssertEqual(try readBack.decode(expected), reference.decoded[index])
        }
        let template = try ChatTemplate(source: try XCTUnwrap(readBack.chatTemplate))
        for (prompt, expected) in zip(reference.prompts, reference.chat_ids) {
            let text = try template.render(messages: [ChatMessage(role: "user", content: prompt)], addGenerationPrompt: true,
                                           bosToken: "<|im_start|>", eosToken: "<|im_end|>")
            XCTAssertEqual(readBack.encode(text, addSpecialTokens: false), expected, prompt)
            XCTAssertEqual(try loaded.chatTokens([ChatMessage(role: "user", content: prompt)]), expected, prompt)
        }
    }

    /// A bf16 fuse of the adapter fixture gives the bytes transformers loaded; Graft, reading the
    /// folder back, generates transformers' greedy tokens.
    func testBFloat16FusedFolderMatchesTransformers() throws {
        let reference = try Self.reference()
        XCTAssertEqual(reference.dtypes, ["BF16"])
        XCTAssertEqual(reference.torch_dtype, "bfloat16")
        let output = try LlamaTestSupport.temporaryDirectory(self).appendingPathComponent("fused")
        let result = try ModelFuser.fuse(modelURL: LlamaTestSupport.modelURL, adapterPath: AdapterTestSupport.peftFixture.path,
                                         output: output, format: .safetensors, precision: .float(.bf16))
        XCTAssertGreaterThan(try XCTUnwrap(result.effect).kept, 0.99, "bf16 keeps the adapter")
        XCTAssertEqual(try Self.checksum(output.appendingPathComponent("model.safetensors")), reference.checksums["model.safetensors"],
                       "fused tensors differ from the folder transformers loaded")
        let fused = try LoadedModel.load(huggingFace: output)
        for (index, prompt) in reference.prompts.enumerated() {
            let ids = try fused.chatTokens([ChatMessage(role: "user", content: prompt)])
            XCTAssertEqual(ids, reference.chat_ids[index], prompt)
            let greedy = try Generator(fused).generate(prompt: ids, options: GenerationOptions(maxTokens: 10)).tokens
            XCTAssertEqual(greedy, reference.greedy_ids[index], prompt)
        }
    }
}
