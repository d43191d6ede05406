import Foundation
import Graft
import GraftIO
import GraftLM
import XCTest

/// `graft fuse` against peft's unfused logits (scripts/fixtures/adapters.py), the
/// re-quantization guard, and the output rules.
final class FuseTests: XCTestCase {
    override func setUp() {
        super.setUp()
        Parallel.setThreads(2)
    }

    /// A float32 Hugging Face folder written by fuse, read back from disk, gives peft's logits;
    /// adapters.py checked that transformers loads the same kind of folder with peft's logits.
    func testFusedSafetensorsFolderMatchesPEFT() throws {
        let reference = try AdapterTestSupport.reference()
        let expected = try AdapterTestSupport.floats(reference.peftLogitsFile)
        let output = try LlamaTestSupport.temporaryDirectory(self).appendingPathComponent("fused")
        let result = try ModelFuser.fuse(modelURL: LlamaTestSupport.modelURL, adapterPath: AdapterTestSupport.peftFixture.path,
                                         output: output, format: .safetensors, precision: .float32)
        XCTAssertEqual(result.fusedWeightCount, 14)
        XCTAssertTrue(result.report.layers.isEmpty)
        let fused = try FuseHuggingFaceFolder.load(output)
        let logits = try AdapterTestSupport.lastLogits(fused, reference.promptIDs)
        let error = AdapterTestSupport.relativeError(logits, expected)
        XCTAssertLessThan(error, 1e-3, "fused folder vs peft: \(error)")
        if let transformers = reference.checks["graft_fused_folder_vs_peft"] {
            XCTAssertLessThan(transformers, 1e-3, "adapters.py: transformers on Graft's fused folder vs peft")
        }
        XCTAssertThrowsError(try ModelFuser.fuse(modelURL: LlamaTestSupport.modelURL, adapterPath: AdapterTestSupport.peftFixture.path,
                                                 output: output, format: .safetensors, precision: .float32)) { error in
            XCTAssertTrue("\(error)".contains("already exists"), "\(error)")
        }
    }

    /// Fusing in memory (what generation with a fused adapter uses) gives peft's logits.
    func testInMemoryFuseMatchesPEFT() throws {
        let model = try LlamaTestSupport.model().model
        let reference = try AdapterTestSupport.reference()
        let loaded = try LoadedAdapter.open(path: AdapterTestSupport.peftFixture.path, model: model)
        let fused = try model.fused(with: loaded.adapter, precision: .float32)
        let logits = try AdapterTestSupport.lastLogits(fused, reference.promptIDs)
        XCTAssertLessThan(AdapterTestSupport.relativeError(logits, try AdapterTestSupport.floats(reference.peftLogitsFile)), 1e-3)
    }

    /// A GGUF fuse that keeps the base's types (adapted weights re-quantized to Q4_1, every
    /// other tensor copied byte for byte) keeps most of the adapter's effect: reloaded from the
    /// file, its logits are closer to peft's than the base model's are. With 8 bits the
    /// measured retained fraction is near 1; adapters.py found Graft's Q8_0 and Q4_1 blocks
    /// byte-identical to gguf-py's quantizers.
    func testGGUFFuseKeepsTheAdapter() throws {
        let reference = try AdapterTestSupport.reference()
        let expected = try AdapterTestSupport.floats(reference.peftLogitsFile)
        let base = try AdapterTestSupport.floats(reference.baseLogitsFile)
        let directory = try LlamaTestSupport.temporaryDirectory(self)
        let output = directory.appendingPathComponent("fused.gguf")
        // Re-quantizing 14 matrices to Q4_1 adds fresh rounding noise as large as this adapter's
        // change: the logits keep less than half of its effect (KL), so --force is needed.
        let kept = try ModelFuser.fuse(modelURL: LlamaTestSupport.modelURL, adapterPath: AdapterTestSupport.peftFixture.path,
                                       output: output, format: .gguf, precision: .keep, force: true)
        XCTAssertEqual(kept.report.layers.count, 14)
        XCTAssertFalse(kept.report.deltaVanishes)
        let keptEffect = try XCTUnwrap(kept.effect)
        XCTAssertTrue(keptEffect.effectLost && keptEffect.kept > 0, keptEffect.summary)
        let loaded = try LoadedModel.load(gguf: output)
        XCTAssertEqual(loaded.tokenizer.chatTemplate, try LlamaTestSupport.model().tokenizer.chatTemplate, "metadata copied")
        let logits = try AdapterTestSupport.lastLogits(loaded.model, reference.promptIDs)
        let fusedError = AdapterTestSupport.rms(logits, expected), baseError = AdapterTestSupport.rms(base, expected)
        XCTAssertLessThan(fusedError, baseError, "fused Q4_1 vs peft \(fusedError), base vs peft \(baseError)")
        let eight = try ModelFuser.fuse(modelURL: LlamaTestSupport.modelURL, adapterPath: AdapterTestSupport.peftFixture.path,
                                        output: directory.appendingPathComponent("q8.gguf"), format: .gguf,
                                        precision: .quantized(bits: 8, groupSize: 32))
        XCTAssertGreaterThan(eight.report.retained, 0.95)
        XCTAssertGreaterThan(eight.report.retained, kept.report.retained)
        XCTAssertGreaterThan(try XCTUnwrap(eight.effect).kept, 0.9, eight.effect!.summary)
        for label in ["q8_0", "q4_1"] {
            if let fraction = reference.checks["graft_gguf_\(label)_bytes_identical_fraction"] { XCTAssertEqual(fraction, 1, label) }
        }
    }

    /// A tiny adapter vanishes under the 4-bit grid: fuse measures the stored model's logits
    /// against the tuned (unfused) and base models and refuses, suggesting 8 bits or a float
    /// dtype; nothing is written.
    func testFourBitFuseRefusesALostEffect() throws {
        let (adapterURL, _, directory) = try tinyAdapter()
        let output = directory.appendingPathComponent("fused.gguf")
        XCTAssertThrowsError(try ModelFuser.fuse(modelURL: LlamaTestSupport.modelURL, adapterPath: adapterURL.path, output: output,
                                                 format: .gguf, precision: .keep)) { error in
            guard case FuseError.effectLost(let measurement, let report, _) = error else { return XCTFail("\(error)") }
            XCTAssertLessThan(measurement.kept, FuseEffectMeasurement.minimumKept)
            XCTAssertGreaterThan(measurement.effect, 0)
            XCTAssertLessThan(report.retained, FuseQuantizationReport.minimumRetained, "the weight view agrees")
            XCTAssertTrue("\(error)".contains("--dtype") && "\(error)".contains("--quantize 8"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "nothing written when refused")
    }

    /// --force writes the refused file; read back, it is as far from the tuned model as fuse
    /// measured before writing (the measurement is of what is stored).
    func testForcedFuseWritesWhatWasMeasured() throws {
        let (adapterURL, tiny, directory) = try tinyAdapter()
        let output = directory.appendingPathComponent("fused.gguf")
        let forced = try ModelFuser.fuse(modelURL: LlamaTestSupport.modelURL, adapterPath: adapterURL.path, output: output,
                                         format: .gguf, precision: .keep, force: true)
        let effect = try XCTUnwrap(forced.effect)
        XCTAssertTrue(effect.effectLost)
        let loaded = try LoadedModel.load(gguf: LlamaTestSupport.modelURL)
        let written = try LoadedModel.load(gguf: output).model
        let sequences = try FuseEffectMeasurement.sampleSequences(loaded, adapter: tiny)
        let fromFile = try FuseEffectMeasurement.measure(base: loaded.model, adapter: tiny, stored: written, sequences: sequences)
        XCTAssertEqual(fromFile.positions, effect.positions)
        XCTAssertEqual(fromFile.effect, effect.effect, accuracy: 1e-3 * effect.effect)
        XCTAssertEqual(fromFile.loss, effect.loss, accuracy: 0.05 * effect.loss, "measured before writing vs the file read back")
    }

    /// The test adapter with B shrunk to ±0.0005, written as a GGUF LoRA in a fresh folder.
    private func tinyAdapter() throws -> (URL, LoRAAdapter, URL) {
        let model = try LlamaTestSupport.model().model
        let directory = try LlamaTestSupport.temporaryDirectory(self)
        let tiny = AdapterTestSupport.adapter(for: model, bScale: 0.0005)
        let adapterURL = directory.appendingPathComponent("tiny.gguf")
        try GGUFLoRAFile.write(tiny, heads: model.attentionHeads, to: adapterURL)
        return (adapterURL, tiny, directory)
    }
}
