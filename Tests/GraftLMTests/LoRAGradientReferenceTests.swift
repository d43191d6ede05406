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
    static let lossTolerance = 1e-5
    /// Gradients: max |Δ| / max |reference| per tensor. (PyTorch's own float32 pass is up to
    /// 3.1e-4 from the float64 reference on this batch, `torch_float32_error` in the fixture;
    /// Graft's float32 model is within 2e-5.)
    static let gradientTolerance: Float = 1e-4

    /// The training step exactly as `Trainer` runs it: float32 logits into
    /// `Tensor.crossEntropy`.
    func testDenseModelMatchesPEFTGradients() throws {
        let reference = try LoRAGradientFixture.load()
        try assertMatches(reference, model: try LlamaTestSupport.denseModel().model, lossDType: .float32, label: "dense")
    }

    /// The packed Q4_1/Q8_0 weights dequantize exactly to the floats transformers uses, so the
    /// quantized path must agree as closely as the dense one.
    func testQuantizedModelMatchesPEFTGradients() throws {
        let reference = try LoRAGradientFixture.load()
        try assertMatches(reference, model: try LlamaTestSupport.model().model, lossDType: .float32, label: "quantized")
    }

    /// The model and adapters alone: float32 logits, the loss taken in float64 (so the
    /// cross-entropy kernel's float32 sum over the 49152-word vocabulary plays no part).
    func testDenseModelWithFloat64LossMatchesPEFTGradients() throws {
        let reference = try LoRAGradientFixture.load()
        try assertMatches(reference, model: try LlamaTestSupport.denseModel().model, lossDType: .float64, label: "dense, float64 loss")
    }

    /// The control: the same adapters left in Hugging Face row order are far outside the
    /// tolerances, so the tests above do see the q/k row order.
    func testAdaptersInHuggingFaceRowOrderDoNotMatch() throws {
        let reference = try LoRAGradientFixture.load()
        let model = try LlamaTestSupport.denseModel().model
        let errors = try Self.errors(reference, model: model, adapters: reference.adapterTree(headDimension: nil),
                                     headDimension: nil, lossDType: .float64)
        print("LoRA gradients (q/k rows in Hugging Face order): loss relative \(errors.loss), worst gradient \(errors.worst.error) at \(errors.worst.name)")
        XCTAssertGreaterThan(errors.loss, Self.lossTolerance * 10)
        XCTAssertGreaterThan(errors.worst.error, Self.gradientTolerance * 10)
    }

    func testFixtureErrorsNameTheFileAndProblem() throws {
        let directory = try LlamaTestSupport.temporaryDirectory(self)
        let source = LoRAGradientFixture.directory
        for name in ["reference.json", "adapters.f32"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        XCTAssertThrowsError(try LoRAGradientFixture.load(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("gradients.f32") && "\(error)".contains("missing"), "\(error)")
        }
        try Data(count: 12).write(to: directory.appendingPathComponent("gradients.f32"))
        XCTAssertThrowsError(try LoRAGradientFixture.load(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("gradients.f32") && "\(error)".contains("12 bytes"), "\(error)")
        }
        try Data("{}".utf8).write(to: directory.appendingPathComponent("reference.json"))
        XCTAssertThrowsError(try LoRAGradientFixture.load(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("reference.json"), "\(error)")
        }
    }

    struct Errors {
        /// Per tensor: max |Δ| / max |reference| (gradients back in Hugging Face row order).
        var gradients: [String: Float] = [:]
        var loss = 0.0
        var lossValue = 0.0
        var worst: (name: String, error: Float) { gradients.max { $0.value < $1.value }.map { ($0.key, $0.value) } ?? ("", 0) }
    }

    /// One step's loss and gradient errors against the reference; `headDimension` un-permutes
    /// q/k lora_b gradients (nil: leave them as computed).
    static func errors(_ reference: LoRAGradientFixture, model: LlamaModel, adapters: ParameterTree, headDimension: Int?,
                       lossDType: DType) throws -> Errors {
        let (loss, grads) = valueAndGrad(adapters) { reference.loss(model: model, adapters: $0, dtype: lossDType) }
        eval([loss] + grads.tensors)
        var errors = Errors()
        errors.lossValue = loss.item(Double.self)
        errors.loss = abs(errors.lossValue - reference.expectedLoss) / abs(reference.expectedLoss)
        for entry in reference.tensors {
            guard let grad = grads[entry.name], grad.shape == entry.shape else {
                throw LoRAGradientFixture.FixtureError(description: "no gradient of shape \(entry.shape) for \(entry.name)")
            }
            var values = grad.toArray(as: Float.self)
            if entry.isPermutedLoRAB, let headDimension {
                values = LoRAGradientFixture.ggufToHuggingFace(values, shape: entry.shape, headDimension: headDimension)
            }
            errors.gradients[entry.name] = LlamaTestSupport.relativeError(values, reference.gradients(entry))
        }
        XCTAssertEqual(grads.flattened().map(\.path), reference.tensors.map(\.name).sorted(), "gradient paths")
        return errors
    }

    private func assertMatches(_ reference: LoRAGradientFixture, model: LlamaModel, lossDType: DType, label: String) throws {
        let hd = model.config.headDimension
        let errors = try Self.errors(reference, model: model, adapters: reference.adapterTree(headDimension: hd),
                                     headDimension: hd, lossDType: lossDType)
        print("LoRA gradients (\(label)): loss \(errors.lossValue) vs \(reference.expectedLoss), relative \(errors.loss); "
              + "worst gradient \(errors.worst.error) at \(errors.worst.name)")
        XCTAssertLessThan(errors.loss, Self.lossTolerance, "\(label): loss \(errors.lossValue) vs PEFT's \(reference.expectedLoss)")
        for entry in reference.tensors {
            let error = errors.gradients[entry.name] ?? .infinity
            XCTAssertLessThan(error, Self.gradientTolerance,
                              "\(label): gradient of \(entry.name) (PyTorch's own float32 pass: \(entry.torchFloat32Relative))")
        }
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

    /// Mean cross-entropy of the masked targets with `adapters` applied (no dropout), taken in
    /// `dtype` (the logits are float32 either way).
    func loss(model: LlamaModel, adapters: ParameterTree, dtype: DType) -> Tensor {
        let batch = document.batch
        let shape = [batch.inputs.count, batch.inputs[0].count]
        let inputs = Tensor(batch.inputs.flatMap { $0 }, shape: shape)
        let targets = Tensor(batch.targets.flatMap { $0 }, shape: shape)
        let mask = Tensor(batch.mask.flatMap { $0 }.map(Float.init), shape: shape)
        var logits = model.logits(inputs, adapters: adapters, lora: lora, dropoutKey: nil)
        if dtype != logits.dtype { logits = logits.astype(dtype) }
        return Tensor.crossEntropy(logits: logits, targets: targets, mask: mask).astype(.float32)
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
