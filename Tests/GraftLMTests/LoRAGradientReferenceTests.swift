import Foundation
import Graft
import GraftLM
import GraftNN
import XCTest

/// One training step's LoRA gradients on the real SmolLM2 model against PyTorch + PEFT on the
/// same dequantized weights, adapter values and batch (scripts/fixtures/lora_gradients.py; its
/// reference pass runs in float64).
///
/// The fixture is in Hugging Face row order; Graft keeps the GGUF's interleaved q_proj/k_proj
/// rows (formats.md §1.10), so those adapters' lora_b rows are permuted on the way in and
/// their gradients permuted back.
final class LoRAGradientReferenceTests: XCTestCase {
    /// Loss: relative difference.
    static let lossTolerance: Float = 1e-5
    /// Gradients: max |Δ| / max |reference| per tensor. PyTorch's own float32 pass is up to
    /// 3.1e-4 from its float64 one on this batch (`torch_float32_error` in the fixture), so a
    /// float32 implementation cannot promise 1e-4 on every tensor.
    static let gradientTolerance: Float = 1e-3

    func testDenseModelMatchesPEFTGradients() throws {
        let reference = try LoRAGradientFixture.load()
        let loaded = try LlamaTestSupport.denseModel()
        try assertMatches(reference, model: loaded.model, label: "dense")
    }

    /// The packed Q4_1/Q8_0 weights dequantize exactly to the floats transformers uses, so the
    /// quantized path must agree as closely as the dense one.
    func testQuantizedModelMatchesPEFTGradients() throws {
        let reference = try LoRAGradientFixture.load()
        let loaded = try LlamaTestSupport.model()
        try assertMatches(reference, model: loaded.model, label: "quantized")
    }

    /// The control: the same adapters left in Hugging Face row order give a loss far outside
    /// the tolerance, so the tests above do see the q/k row order.
    func testAdaptersInHuggingFaceRowOrderDoNotMatch() throws {
        let reference = try LoRAGradientFixture.load()
        let loaded = try LlamaTestSupport.denseModel()
        let adapters = reference.adapterTree(headDimension: nil)
        let loss = reference.loss(model: loaded.model, adapters: adapters).item(Double.self)
        let relative = abs(loss - reference.expectedLoss) / abs(reference.expectedLoss)
        print("LoRA gradients: unpermuted q/k adapters: loss \(loss) vs \(reference.expectedLoss), relative \(relative)")
        XCTAssertGreaterThan(relative, Double(Self.lossTolerance) * 100)
    }

    func testFixtureErrorsNameTheFileAndProblem() throws {
        let directory = try LlamaTestSupport.temporaryDirectory(self)
        let source = LoRAGradientFixture.directory
        for name in ["reference.json", "adapters.f32"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        // gradients.f32 missing.
        XCTAssertThrowsError(try LoRAGradientFixture.load(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("gradients.f32"), "\(error)")
        }
        // gradients.f32 too short.
        try Data(count: 12).write(to: directory.appendingPathComponent("gradients.f32"))
        XCTAssertThrowsError(try LoRAGradientFixture.load(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("gradients.f32") && "\(error)".contains("12 bytes"), "\(error)")
        }
    }

    private func assertMatches(_ reference: LoRAGradientFixture, model: LlamaModel, label: String) throws {
        let adapters = reference.adapterTree(headDimension: model.config.headDimension)
        let (loss, grads) = valueAndGrad(adapters) { reference.loss(model: model, adapters: $0) }
        eval([loss] + grads.tensors)

        let lossValue = loss.item(Double.self)
        let lossError = abs(lossValue - reference.expectedLoss) / abs(reference.expectedLoss)
        print("LoRA gradients (\(label)): loss \(lossValue) vs \(reference.expectedLoss), relative \(lossError)")
        XCTAssertLessThan(lossError, Double(Self.lossTolerance), "\(label) loss")

        XCTAssertEqual(grads.flattened().map(\.path), reference.tensors.map(\.name).sorted(), "\(label) gradient paths")
        var worst: (name: String, error: Float) = ("", 0)
        for entry in reference.tensors {
            guard let grad = grads[entry.name] else { XCTFail("\(label): no gradient for \(entry.name)"); continue }
            XCTAssertEqual(grad.shape, entry.shape, "\(label) \(entry.name)")
            var values = grad.toArray(as: Float.self)
            if entry.isPermutedLoRAB { values = LoRAGradientFixture.ggufToHuggingFace(values, shape: entry.shape, headDimension: model.config.headDimension) }
            let expected = reference.gradients(entry)
            let error = LlamaTestSupport.relativeError(values, expected)
            if error > worst.error { worst = (entry.name, error) }
            XCTAssertLessThan(error, Self.gradientTolerance, "\(label) gradient \(entry.name) (PyTorch float32: \(entry.torchFloat32Relative))")
        }
        print("LoRA gradients (\(label)): worst relative gradient error \(worst.error) at \(worst.name)")
    }
}

/// reference.json, adapters.f32 and gradients.f32 of Fixtures/lora_gradients.
struct LoRAGradientFixture {
    struct Entry: Decodable {
        let name: String
        let shape: [Int]
        let offset: Int
        let torchFloat32Relative: Double

        enum CodingKeys: String, CodingKey {
            case name, shape, offset
            case torchFloat32Relative = "torch_float32_relative"
        }

        var count: Int { shape.reduce(1, *) }
        /// q_proj/k_proj lora_b: output rows, whose order differs between GGUF and Hugging Face.
        var isPermutedLoRAB: Bool {
            name.hasSuffix(".lora_b") && (name.contains(".self_attn.q_proj.") || name.contains(".self_attn.k_proj."))
        }
    }

    struct LoRASettings: Decodable {
        let rank: Int
        let alpha: Double
        let dropout: Double
    }

    struct Batch: Decodable {
        let inputs: [[Int32]]
        let targets: [[Int32]]
        let mask: [[Int]]
    }

    struct Document: Decodable {
        let lora: LoRASettings
        let batch: Batch
        let loss: Double
        let tensors: [Entry]
        let valueCount: Int

        enum CodingKeys: String, CodingKey {
            case lora, batch, loss, tensors
            case valueCount = "value_count"
        }
    }

    /// A fixture file that is missing or does not fit reference.json.
    struct FixtureError: Error, CustomStringConvertible {
        let description: String
    }

    static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("lora_gradients")
    }

    let document: Document
    let adapterValues: [Float]
    let gradientValues: [Float]

    var tensors: [Entry] { document.tensors }
    var expectedLoss: Double { document.loss }
    var lora: LoRAConfig { LoRAConfig(rank: document.lora.rank, alpha: document.lora.alpha, dropout: document.lora.dropout) }

    static func load(from directory: URL = LoRAGradientFixture.directory) throws -> LoRAGradientFixture {
        let json = directory.appendingPathComponent("reference.json")
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: try Data(contentsOf: json))
        } catch {
            throw FixtureError(description: "\(json.path): cannot be read as the LoRA gradient reference: \(error)")
        }
        for entry in document.tensors where entry.offset < 0 || entry.offset + entry.count > document.valueCount {
            throw FixtureError(description: "\(json.path): \(entry.name) \(entry.shape) at \(entry.offset) exceeds value_count \(document.valueCount)")
        }
        return LoRAGradientFixture(document: document,
                                   adapterValues: try floats(directory.appendingPathComponent("adapters.f32"), count: document.valueCount),
                                   gradientValues: try floats(directory.appendingPathComponent("gradients.f32"), count: document.valueCount))
    }

    /// `count` little-endian float32 values.
    static func floats(_ url: URL, count: Int) throws -> [Float] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw FixtureError(description: "\(url.path): missing (run scripts/fixtures/lora_gradients.py)")
        }
        guard data.count == count * 4 else {
            throw FixtureError(description: "\(url.path): has \(data.count) bytes, reference.json needs \(count) float32 values (\(count * 4) bytes)")
        }
        return data.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    func gradients(_ entry: Entry) -> [Float] { Array(gradientValues[entry.offset..<(entry.offset + entry.count)]) }

    /// The adapters at Graft's paths; with a head dimension, q/k lora_b rows are moved to the
    /// GGUF order the model uses (nil keeps Hugging Face order, for the control test).
    func adapterTree(headDimension: Int?) -> ParameterTree {
        ParameterTree(flattened: tensors.map { entry in
            var values = Array(adapterValues[entry.offset..<(entry.offset + entry.count)])
            if entry.isPermutedLoRAB, let headDimension {
                values = Self.huggingFaceToGGUF(values, shape: entry.shape, headDimension: headDimension)
            }
            return (entry.name, Tensor(values, shape: entry.shape))
        })
    }

    /// Mean cross-entropy of the masked targets with `adapters` applied (no dropout).
    func loss(model: LlamaModel, adapters: ParameterTree) -> Tensor {
        let batch = document.batch
        let shape = [batch.inputs.count, batch.inputs[0].count]
        let inputs = Tensor(batch.inputs.flatMap { $0 }, shape: shape)
        let targets = Tensor(batch.targets.flatMap { $0 }, shape: shape)
        let mask = Tensor(batch.mask.flatMap { $0 }.map(Float.init), shape: shape)
        return Tensor.crossEntropy(logits: model.logits(inputs, adapters: adapters, lora: lora, dropoutKey: nil),
                                   targets: targets, mask: mask)
    }

    /// Rows `[out, cols]` from Hugging Face order to GGUF's: GGUF row h·hd + 2i + s holds
    /// Hugging Face row h·hd + s·half + i (formats.md §1.10).
    static func huggingFaceToGGUF(_ values: [Float], shape: [Int], headDimension: Int) -> [Float] {
        permuteRows(values, shape: shape, headDimension: headDimension, toGGUF: true)
    }

    /// The inverse of ``huggingFaceToGGUF(_:shape:headDimension:)``.
    static func ggufToHuggingFace(_ values: [Float], shape: [Int], headDimension: Int) -> [Float] {
        permuteRows(values, shape: shape, headDimension: headDimension, toGGUF: false)
    }

    private static func permuteRows(_ values: [Float], shape: [Int], headDimension hd: Int, toGGUF: Bool) -> [Float] {
        let (rows, cols) = (shape[0], shape[1]), half = hd / 2
        precondition(rows % hd == 0, "rows \(rows) are not whole heads of \(hd)")
        var out = [Float](repeating: 0, count: values.count)
        for h in 0..<(rows / hd) {
            for s in 0..<2 {
                for i in 0..<half {
                    let gguf = h * hd + 2 * i + s, hf = h * hd + s * half + i
                    let (from, to) = toGGUF ? (hf, gguf) : (gguf, hf)
                    for c in 0..<cols { out[to * cols + c] = values[from * cols + c] }
                }
            }
        }
        return out
    }
}
