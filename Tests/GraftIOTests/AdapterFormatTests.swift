import Foundation
import Graft
import GraftIO
import XCTest

/// Adapter files without a model: the q/k row permutation, every format's round trip and
/// orientation, and the error paths.
final class AdapterFormatTests: XCTestCase {
    /// Two query heads and one key/value head of size 4, hidden 8.
    let heads = AttentionHeads(queryHeads: 2, keyValueHeads: 1, headDimension: 4)

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("graft-adapters-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func adapter(dora: Bool = false, order: QKRowOrder = .interleaved) -> LoRAAdapter {
        var tensors: [String: Tensor] = [:]
        var seed = 0
        func values(_ shape: [Int]) -> Tensor {
            seed += 1
            return Tensor((0..<shape.reduce(1, *)).map { Float(seed * 1000 + $0) / 997 }, shape: shape)
        }
        for layer in [2, 3] {
            for (module, out) in [("self_attn.q_proj", 8), ("self_attn.k_proj", 4), ("mlp.down_proj", 8)] {
                let stem = "model.layers.\(layer).\(module)."
                tensors[stem + "lora_a"] = values([3, module == "mlp.down_proj" ? 16 : 8])
                tensors[stem + "lora_b"] = values([out, 3])
                if dora { tensors[stem + "lora_magnitude"] = values([out]) }
            }
        }
        return LoRAAdapter(tensors: tensors, settings: LoRAAdapterSettings(rank: 3, alpha: 6, dropout: 0.1, dora: dora, baseModel: "tiny"),
                           rowOrder: order)
    }

    private func assertSame(_ a: LoRAAdapter, _ b: LoRAAdapter, line: UInt = #line) {
        XCTAssertEqual(Set(a.tensors.keys), Set(b.tensors.keys), line: line)
        for (key, t) in b.tensors {
            XCTAssertEqual(a.tensors[key]?.shape, t.shape, key, line: line)
            XCTAssertEqual(a.tensors[key]?.toArray(as: Float.self), t.toArray(as: Float.self), key, line: line)
        }
    }

    /// formats.md §1.10: GGUF row h·d + 2i + s holds Hugging Face row h·d + s·d/2 + i.
    func testPermutationFollowsTheFormula() {
        let toGGUF = QKRowPermutation.sourceRows(from: .huggingFace, to: .interleaved, headCount: 2, headDimension: 4)
        XCTAssertEqual(toGGUF, [0, 2, 1, 3, 4, 6, 5, 7])
        let back = QKRowPermutation.sourceRows(from: .interleaved, to: .huggingFace, headCount: 2, headDimension: 4)
        for row in 0..<8 { XCTAssertEqual(toGGUF[back[row]], row) }
        let values: [Float] = (0..<16).map(Float.init)
        let there = QKRowPermutation.reorderRows(values, columns: 2, from: .interleaved, to: .huggingFace, headCount: 2, headDimension: 4)
        XCTAssertEqual(QKRowPermutation.reorderRows(there, columns: 2, from: .huggingFace, to: .interleaved, headCount: 2, headDimension: 4), values)
    }

    /// Only q/k B rows (and magnitudes) move; A and other modules stay.
    func testReorderTouchesOnlyQueryKeyOutputs() throws {
        let original = adapter(dora: true)
        let hf = try original.reordered(to: .huggingFace, heads: heads, source: "test")
        for (key, t) in original.tensors {
            let same = hf.tensors[key]!.toArray(as: Float.self) == t.toArray(as: Float.self)
            let moves = (key.contains("q_proj") || key.contains("k_proj")) && !key.hasSuffix("lora_a")
            XCTAssertEqual(same, !moves, key)
        }
        assertSame(try hf.reordered(to: .interleaved, heads: heads, source: "test"), original)
    }

    /// Every format writes and reads back identical tensors and settings; files use their own
    /// names and orientation.
    func testRoundTripsAndFileLayout() throws {
        let dir = try temporaryDirectory()
        let original = adapter()
        try PEFTAdapterDirectory.write(original, heads: heads, to: dir.appendingPathComponent("peft"))
        let peft = try PEFTAdapterDirectory.read(dir.appendingPathComponent("peft"))
        XCTAssertEqual(peft.rowOrder, .huggingFace)
        XCTAssertEqual(peft.settings, original.settings)
        assertSame(try peft.reordered(to: .interleaved, heads: heads, source: "t"), original)
        let peftFile = try SafetensorsFile(contentsOf: dir.appendingPathComponent("peft/adapter_model.safetensors"))
        XCTAssertEqual(try peftFile.info("base_model.model.model.layers.2.mlp.down_proj.lora_A.weight").shape, [3, 16])
        XCTAssertEqual(peftFile.metadata, ["format": "pt"])

        try MLXAdapterDirectory.write(original, heads: heads, layerCount: 6, to: dir.appendingPathComponent("mlx"))
        let mlx = try MLXAdapterDirectory.read(dir.appendingPathComponent("mlx"))
        XCTAssertEqual(mlx.settings.rank, 3)
        XCTAssertEqual(mlx.settings.alpha, 6, accuracy: 1e-12)
        assertSame(try mlx.reordered(to: .interleaved, heads: heads, source: "t"), original)
        let mlxFile = try SafetensorsFile(contentsOf: dir.appendingPathComponent("mlx/adapters.safetensors"))
        XCTAssertEqual(try mlxFile.info("model.layers.2.mlp.down_proj.lora_a").shape, [16, 3])
        XCTAssertEqual(try mlxFile.info("model.layers.2.self_attn.k_proj.lora_b").shape, [3, 4])
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("mlx/adapter_config.json"))) as! [String: Any]
        XCTAssertEqual(config["num_layers"] as? Int, 4, "layers 2...5 are the last four of six")

        let ggufURL = dir.appendingPathComponent("lora.gguf")
        try GGUFLoRAFile.write(original, heads: heads, to: ggufURL)
        let gguf = try GGUFLoRAFile.read(ggufURL)
        XCTAssertEqual(gguf.rowOrder, .interleaved)
        XCTAssertEqual(gguf.settings.alpha, 6)
        assertSame(gguf, original)
        let file = try GGUFFile(path: ggufURL.path)
        XCTAssertEqual(try file.string("general.type"), "adapter")
        XCTAssertEqual(file.tensor(named: "blk.3.ffn_down.weight.lora_a")?.shape, [3, 16])
    }

    /// DoRA survives PEFT and mlx-lm; GGUF refuses it.
    func testDoRA() throws {
        let dir = try temporaryDirectory()
        let original = adapter(dora: true)
        try PEFTAdapterDirectory.write(original, heads: heads, to: dir.appendingPathComponent("peft"))
        assertSame(try PEFTAdapterDirectory.read(dir.appendingPathComponent("peft")).reordered(to: .interleaved, heads: heads, source: "t"), original)
        try MLXAdapterDirectory.write(original, heads: heads, layerCount: 4, to: dir.appendingPathComponent("mlx"))
        let mlx = try MLXAdapterDirectory.read(dir.appendingPathComponent("mlx"))
        XCTAssertTrue(mlx.settings.dora)
        assertSame(try mlx.reordered(to: .interleaved, heads: heads, source: "t"), original)
        XCTAssertThrowsError(try GGUFLoRAFile.write(original, heads: heads, to: dir.appendingPathComponent("d.gguf"))) { error in
            XCTAssertTrue("\(error)".contains("DoRA"), "\(error)")
        }
    }

    /// Existing outputs, missing files, and settings Graft cannot honour are refused by name.
    func testErrors() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("peft")
        try PEFTAdapterDirectory.write(adapter(), heads: heads, to: url)
        XCTAssertThrowsError(try PEFTAdapterDirectory.write(adapter(), heads: heads, to: url)) { error in
            XCTAssertTrue("\(error)".contains("already exists"), "\(error)")
        }
        try PEFTAdapterDirectory.write(adapter(), heads: heads, to: url, replacing: true)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["peft"], "no temporary folders left")
        XCTAssertThrowsError(try AdapterFormat.detect(dir.appendingPathComponent("missing"))) { error in
            XCTAssertTrue("\(error)".contains("missing") && "\(error)".contains("no such"), "\(error)")
        }
        XCTAssertEqual(try AdapterFormat.detect(url), .peft)
        var config = try String(contentsOf: url.appendingPathComponent("adapter_config.json"), encoding: .utf8)
        config = config.replacingOccurrences(of: "\"rank_pattern\" : {\n\n  }", with: "\"rank_pattern\" : {\"q_proj\": 4}")
        try config.write(to: url.appendingPathComponent("adapter_config.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PEFTAdapterDirectory.read(url)) { error in
            XCTAssertTrue("\(error)".contains("rank_pattern") && "\(error)".contains("adapter_config.json"), "\(error)")
        }
        let wrongHeads = AttentionHeads(queryHeads: 3, keyValueHeads: 1, headDimension: 4)
        XCTAssertThrowsError(try PEFTAdapterDirectory.write(adapter(), heads: wrongHeads, to: dir.appendingPathComponent("x"))) { error in
            XCTAssertTrue("\(error)".contains("q_proj.lora_b"), "\(error)")
        }
    }
}
