import Foundation
import Graft
import GraftIO
import GraftLM
import GraftNN
import XCTest

/// Adapters fused into the quantized matmul kernel (the default of `graft generate --adapter`)
/// against the same adapters on the side (`--no-fuse`, the training forward) and against peft.
final class KernelFusedAdapterTests: XCTestCase {
    override func setUp() {
        super.setUp()
        Parallel.setThreads(2)
    }

    /// The quickstart's held-out questions: the first three records of data/sql/test.jsonl.
    static func heldOutPrompts() throws -> [String] {
        let url = TrainEndToEndTests.repository.appendingPathComponent("data/sql/test.jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").prefix(3)
        return try lines.map { line in
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return try XCTUnwrap(record?["prompt"] as? String, "\(url.path): a record without a prompt")
        }
    }

    /// On every held-out prompt: last-position logits within 1e-4 (relative to the largest) of
    /// the side adapters', after the prompt (many rows) and after one more token (the decoding
    /// kernel), and the same 16 greedy tokens. Returns how many answers the adapter changed
    /// against `base`.
    @discardableResult
    func assertSameAsSide(_ kernel: LoadedModel, _ side: LoadedModel, base: LoadedModel, _ label: String) throws -> Int {
        var changed = 0
        for prompt in try Self.heldOutPrompts() {
            let ids = try base.chatTokens([ChatMessage(role: "user", content: prompt)])
            let kernelCache = KVCache(layerCount: kernel.model.config.layerCount)
            let sideCache = KVCache(layerCount: side.model.config.layerCount)
            let got = try kernel.step(ids, cache: kernelCache).toArray(as: Float.self)
            let want = try side.step(ids, cache: sideCache).toArray(as: Float.self)
            XCTAssertLessThan(LlamaTestSupport.relativeError(got, want), 1e-4, "\(label): prompt logits, \(prompt)")
            let next = Int32(want.indices.max { want[$0] < want[$1] }!)
            let gotNext = try kernel.step([next], cache: kernelCache).toArray(as: Float.self)
            let wantNext = try side.step([next], cache: sideCache).toArray(as: Float.self)
            XCTAssertLessThan(LlamaTestSupport.relativeError(gotNext, wantNext), 1e-4, "\(label): decoding logits, \(prompt)")
            let options = GenerationOptions(maxTokens: 16)
            let tokens = try Generator(kernel).generate(prompt: ids, options: options).tokens
            XCTAssertEqual(tokens, try Generator(side).generate(prompt: ids, options: options).tokens, "\(label): \(prompt)")
            if try Generator(base).generate(prompt: ids, options: options).tokens != tokens { changed += 1 }
        }
        return changed
    }

    /// The PEFT fixture (rank 2 on all seven projections of blocks 28–29, q/k reordered to the
    /// GGUF's rows): the kernel path matches peft's logits and greedy tokens and the side adapters.
    func testPEFTAdapterInTheKernelMatchesPEFTAndSideAdapters() throws {
        let base = try LlamaTestSupport.model()
        let reference = try AdapterTestSupport.reference()
        let adapter = try LoadedAdapter.open(path: AdapterTestSupport.peftFixture.path, model: base.model)
        let kernel = try base.fusingIntoKernels(adapter)
        XCTAssertEqual(kernel.model.lowRankProjectionCount, 14)
        XCTAssertEqual(base.model.lowRankProjectionCount, 0)
        XCTAssertEqual(kernel.model.fingerprint, base.model.fingerprint, "the packed weights are untouched")
        let logits = try AdapterTestSupport.lastLogits(kernel.model, reference.promptIDs)
        let expected = try AdapterTestSupport.floats(reference.peftLogitsFile)
        let error = AdapterTestSupport.relativeError(logits, expected)
        XCTAssertLessThan(error, 1e-3, "relative logit error \(error) against peft")
        XCTAssertGreaterThan(AdapterTestSupport.relativeError(try AdapterTestSupport.floats(reference.baseLogitsFile), expected),
                             50 * error, "the adapter must change the logits")
        let greedy = try Generator(kernel).generate(prompt: reference.promptIDs,
                                                    options: GenerationOptions(maxTokens: reference.greedyIDs.count)).tokens
        XCTAssertEqual(greedy, reference.greedyIDs)
        let changed = try assertSameAsSide(kernel, base.applyingOnTheSide(adapter), base: base, "peft")
        XCTAssertGreaterThan(changed, 0, "the adapter should change some answer, or the comparison proves little")
    }

    /// The quickstart's own adapter (rank 8 on all seven projections of the top 16 blocks), when
    /// `make quickstart` has trained it into checkpoints/quickstart (skipped otherwise).
    func testQuickstartAdapterInTheKernelMatchesSideAdapters() throws {
        let run = TrainEndToEndTests.repository.appendingPathComponent("checkpoints/quickstart")
        guard FileManager.default.fileExists(atPath: run.appendingPathComponent("latest").path) else {
            throw XCTSkip("no quickstart run in \(run.path) (make quickstart trains it)")
        }
        let base = try LlamaTestSupport.model()
        let adapter = try LoadedAdapter.open(path: run.path, model: base.model)
        let kernel = try base.fusingIntoKernels(adapter)
        XCTAssertEqual(kernel.model.lowRankProjectionCount, adapter.adapter.projectionCount)
        let changed = try assertSameAsSide(kernel, base.applyingOnTheSide(adapter), base: base, "quickstart")
        XCTAssertGreaterThan(changed, 0, "the quickstart adapter answers the held-out questions differently from the base")
    }

    /// A DoRA adapter (magnitudes 0.8–1.2 times the base rows' norms): the kernel's precomputed
    /// row factors give the side adapters' logits and tokens.
    func testDoRAAdapterInTheKernelMatchesSideAdapters() throws {
        let base = try LlamaTestSupport.model()
        var adapter = AdapterTestSupport.adapter(for: base.model, bScale: 0.3)
        adapter.settings.dora = true
        for key in adapter.tensors.keys where key.hasSuffix(".lora_a") {
            let stem = String(key.dropLast("lora_a".count))
            let projection = try LinearWeights(base.model.parameters, path: String(stem.dropLast()),
                                               inputCount: adapter.tensors[key]!.shape[1], source: "test")
            let norms = projection.base.rowNormsSquared().sqrt()
            let jitter = Tensor.uniform(norms.shape, low: 0.8, high: 1.2, key: RandomKey(seed: UInt64(key.hashValueForTest)))
            adapter.tensors[stem + "lora_magnitude"] = Tensor((norms * jitter).toArray(as: Float.self), shape: norms.shape)
        }
        let kernel = base.replacingModel(try base.model.fusedIntoKernels(adapter))
        XCTAssertEqual(kernel.model.lowRankProjectionCount, 14)
        let side = base.applyingOnTheSide(tree: ParameterTree(flattened: adapter.tensors.map { ($0.key, $0.value) }),
                                          lora: LoRAConfig(rank: 2, alpha: 4, dora: true))
        try assertSameAsSide(kernel, side, base: base, "dora")
    }

    /// A dense (float32) base merges the adapter into its weights instead.
    func testDenseBaseMergesTheAdapterIntoItsWeights() throws {
        let base = try LlamaTestSupport.denseModel()
        let adapter = try LoadedAdapter.open(path: AdapterTestSupport.peftFixture.path, model: base.model)
        let kernel = try base.fusingIntoKernels(adapter)
        XCTAssertEqual(kernel.model.lowRankProjectionCount, 0)
        XCTAssertNotEqual(kernel.model.fingerprint, base.model.fingerprint, "merged weights differ from the base's")
        try assertSameAsSide(kernel, base.applyingOnTheSide(adapter), base: base, "dense")
    }

    /// `graft generate --adapter` fuses into the kernel by default and answers like `--no-fuse`.
    func testGenerateFusesIntoTheKernelByDefault() throws {
        _ = try LlamaTestSupport.model()
        let path = AdapterTestSupport.peftFixture.path
        let prompt = try Self.heldOutPrompts()[1].replacingOccurrences(of: "\n", with: " ")
        let fused = try GraftCLI.run(["generate", "--adapter", path, "--prompt", prompt, "--max-tokens", "16", "--verbose"])
        let side = try GraftCLI.run(["generate", "--adapter", path, "--no-fuse", "--prompt", prompt, "--max-tokens", "16"])
        XCTAssertEqual(fused.status, 0, fused.stderr)
        XCTAssertEqual(side.status, 0, side.stderr)
        XCTAssertEqual(fused.stdout, side.stdout)
        XCTAssertTrue(fused.stderr.contains("fused into 14 projections (14 in the quantized kernel, 0 merged into dense weights)"),
                      fused.stderr)
        let help = try GraftCLI.run(["generate", "--help"])
        let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(words.contains("fused at load: into the quantized matmul kernel for packed weights"), help.stdout)
    }
}

private extension String {
    /// A per-process-stable small hash for seeding.
    var hashValueForTest: Int { utf8.reduce(7) { ($0 &* 31 &+ Int($1)) & 0xFFFF_FFFF } }
}
