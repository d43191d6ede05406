import Foundation
import Graft
import GraftIO
import GraftLM
import GraftNN
import XCTest

/// Adapters loaded for generation, against transformers + peft running the same PEFT folder
/// (fixtures from scripts/fixtures/adapters.py), and Graft's own formats round-tripping.
final class AdapterLoadingTests: XCTestCase {
    override func setUp() {
        super.setUp()
        Parallel.setThreads(2)
    }

    /// The committed PEFT folder is what Graft's writer makes of the test adapter today.
    /// (`GRAFT_WRITE_ADAPTER_FIXTURES=1` rewrites it into the source tree.)
    func testCommittedPEFTFixtureIsGraftWritten() throws {
        let model = try LlamaTestSupport.model().model
        let adapter = AdapterTestSupport.adapter(for: model)
        if ProcessInfo.processInfo.environment["GRAFT_WRITE_ADAPTER_FIXTURES"] == "1" {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Fixtures/adapters/peft")
            try PEFTAdapterDirectory.write(adapter, heads: model.attentionHeads, to: source, replacing: true)
        }
        let committed = try PEFTAdapterDirectory.read(AdapterTestSupport.peftFixture)
        let reordered = try committed.reordered(to: .interleaved, heads: model.attentionHeads, source: "fixture")
        XCTAssertEqual(Set(reordered.tensors.keys), Set(adapter.tensors.keys))
        for (key, t) in adapter.tensors {
            XCTAssertEqual(reordered.tensors[key]!.toArray(as: Float.self), t.toArray(as: Float.self), key)
        }
        XCTAssertEqual(committed.settings, AdapterTestSupport.settings)
    }

    /// The PEFT folder loaded onto the Q4_1 model gives peft's logits (float32 weights
    /// dequantized from the same GGUF) within 1e-3, and moves them well away from the base's.
    func testPEFTAdapterLogitsMatchPEFT() throws {
        let model = try LlamaTestSupport.model().model
        let reference = try AdapterTestSupport.reference()
        let (tree, lora) = try LoadedAdapter.load(path: AdapterTestSupport.peftFixture.path, model: model)
        XCTAssertEqual(lora, LoRAConfig(rank: 2, alpha: 4, dropout: 0, dora: false))
        let expected = try AdapterTestSupport.floats(reference.peftLogitsFile)
        let base = try AdapterTestSupport.floats(reference.baseLogitsFile)
        let logits = try AdapterTestSupport.lastLogits(model, reference.promptIDs, adapters: (tree, lora))
        let error = AdapterTestSupport.relativeError(logits, expected)
        XCTAssertLessThan(error, 1e-3, "relative logit error \(error) against peft")
        XCTAssertGreaterThan(AdapterTestSupport.relativeError(base, expected), 50 * error, "the adapter must change the logits")
        // The training forward (no cache) agrees with the cached step.
        let full = model.logits(Tensor(reference.promptIDs, shape: [1, reference.promptIDs.count]), adapters: tree, lora: lora,
                                dropoutKey: nil)
        let last = full.slice(axis: 1, (reference.promptIDs.count - 1)..<reference.promptIDs.count).toArray(as: Float.self)
        XCTAssertLessThan(AdapterTestSupport.relativeError(last, expected), 1e-3)
    }

    /// Greedy decoding with the adapters through the KV cache gives peft's greedy tokens.
    func testGreedyDecodingWithAdaptersMatchesPEFT() throws {
        let model = try LlamaTestSupport.model().model
        let reference = try AdapterTestSupport.reference()
        let (tree, lora) = try LoadedAdapter.load(path: AdapterTestSupport.peftFixture.path, model: model)
        let cache = KVCache(layerCount: model.config.layerCount)
        var logits = try model.step(reference.promptIDs, cache: cache, adapters: tree, lora: lora)
        var ids: [Int32] = []
        for _ in reference.greedyIDs {
            let values = logits.toArray(as: Float.self)
            let next = Int32(values.indices.max { values[$0] < values[$1] }!)
            ids.append(next)
            logits = try model.step([next], cache: cache, adapters: tree, lora: lora)
        }
        XCTAssertEqual(ids, reference.greedyIDs)
    }

    /// A checkpoint (and its run folder) loads with the recipe's rank and alpha, and every
    /// export format round-trips to identical tensors.
    func testCheckpointAndExportRoundTrips() throws {
        let model = try LlamaTestSupport.model().model
        let adapter = AdapterTestSupport.adapter(for: model)
        let directory = try LlamaTestSupport.temporaryDirectory(self)
        let run = CheckpointDirectory(url: directory.appendingPathComponent("run"))
        let recipe = "model:\n  path: \(LlamaTestSupport.modelURL.path)\ndata:\n  dir: data\nlora:\n  rank: 2\n  alpha: 8\n# --set lora.alpha=4\n"
        let checkpoint = TrainingCheckpoint(step: 10, adapters: adapter.tensors, optimizerName: "adamw", optimizerStep: 10,
                                            optimizerState: [:], rngKey: RandomKey(seed: 1), dataEpoch: 0, dataIndex: 0, dataSeed: 0,
                                            recipe: recipe, metrics: "", graftVersion: graftVersion, baseFingerprint: model.fingerprint)
        let file = try run.save(checkpoint)
        for path in [file.path, run.url.path] {
            let loaded = try LoadedAdapter.open(path: path, model: model)
            XCTAssertEqual(loaded.lora, LoRAConfig(rank: 2, alpha: 4, dropout: 0, dora: false), "the --set override applies")
            XCTAssertEqual(loaded.file.lastPathComponent, file.lastPathComponent)
            assertSameTensors(loaded.adapter, adapter)
        }
        for format in AdapterExporter.Format.allCases {
            let output = directory.appendingPathComponent("export-\(format.rawValue)")
            _ = try AdapterExporter.export(adapterPath: file.path, modelURL: LlamaTestSupport.modelURL, output: output, format: format)
            let back = try LoadedAdapter.open(path: output.path, model: model)
            XCTAssertEqual(back.lora.rank, 2, format.rawValue)
            XCTAssertEqual(back.lora.alpha, 4, accuracy: 1e-6, format.rawValue)
            assertSameTensors(back.adapter, adapter, format.rawValue)
            XCTAssertThrowsError(try AdapterExporter.export(adapterPath: file.path, modelURL: LlamaTestSupport.modelURL,
                                                            output: output, format: format)) { error in
                XCTAssertTrue("\(error)".contains("already exists"), "\(error)")
            }
        }
    }

    /// Missing paths, non-adapter folders and adapters of another model shape are refused with
    /// the file named.
    func testErrorsNameTheFile() throws {
        let model = try LlamaTestSupport.model().model
        let directory = try LlamaTestSupport.temporaryDirectory(self)
        let missing = directory.appendingPathComponent("nothing-here").path
        XCTAssertThrowsError(try LoadedAdapter.load(path: missing, model: model)) { error in
            XCTAssertTrue("\(error)".contains(missing) && "\(error)".contains("no such"), "\(error)")
        }
        XCTAssertThrowsError(try LoadedAdapter.load(path: directory.path, model: model)) { error in
            XCTAssertTrue("\(error)".contains("is not an adapter folder"), "\(error)")
        }
        // Another model: the same adapter with a rank-2 A over 960 inputs (a wider model).
        var other = AdapterTestSupport.adapter(for: model)
        other.tensors["model.layers.28.self_attn.q_proj.lora_a"] = Tensor.zeros([2, 960])
        let wrongShape = directory.appendingPathComponent("wide")
        try PEFTAdapterDirectory.write(other, heads: model.attentionHeads, to: wrongShape)
        XCTAssertThrowsError(try LoadedAdapter.load(path: wrongShape.path, model: model)) { error in
            XCTAssertTrue("\(error)".contains("another model") && "\(error)".contains("q_proj.lora_a"), "\(error)")
        }
        var deeper = AdapterTestSupport.adapter(for: model)
        deeper.tensors["model.layers.40.mlp.up_proj.lora_a"] = Tensor.zeros([2, 576])
        deeper.tensors["model.layers.40.mlp.up_proj.lora_b"] = Tensor.zeros([1536, 2])
        let tooDeep = directory.appendingPathComponent("deep")
        try PEFTAdapterDirectory.write(deeper, heads: model.attentionHeads, to: tooDeep)
        XCTAssertThrowsError(try LoadedAdapter.load(path: tooDeep.path, model: model)) { error in
            XCTAssertTrue("\(error)".contains("block 40") && "\(error)".contains(tooDeep.path), "\(error)")
        }
    }

    private func assertSameTensors(_ a: LoRAAdapter, _ b: LoRAAdapter, _ message: String = "", line: UInt = #line) {
        XCTAssertEqual(Set(a.tensors.keys), Set(b.tensors.keys), message, line: line)
        for (key, t) in b.tensors {
            guard let other = a.tensors[key] else { continue }
            XCTAssertEqual(other.shape, t.shape, "\(message) \(key)", line: line)
            XCTAssertEqual(other.toArray(as: Float.self), t.toArray(as: Float.self), "\(message) \(key)", line: line)
        }
    }
}
