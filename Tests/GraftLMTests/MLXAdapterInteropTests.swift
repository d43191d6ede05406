import Foundation
import Graft
import GraftIO
import GraftLM
import XCTest

/// An adapter trained by mlx-lm (fixtures from scripts/fixtures/mlx_adapter_reference.py: mlx-lm's
/// own adapters.safetensors + adapter_config.json, and mlx-lm's greedy ids with it on float32
/// weights dequantized from the project's GGUF) loaded by Graft onto the same float32 weights.
final class MLXAdapterInteropTests: XCTestCase {
    /// Both sides compute in float32 from the same weights: Graft's logits within this fraction
    /// of the largest recorded logit of mlx-lm's (measured: ~1.2e-6, summation order only).
    static let relativeLogitTolerance: Float = 1e-4
    /// Free-running greedy ids must match for every recorded token, unless they part at a
    /// near tie of mlx-lm's logits closer than float32's ordering noise allows to call.
    static let tieMargin: Float = 0.05

    /// The script's extra facts per prompt.
    private struct PromptFacts: Decodable {
        struct Message: Decodable { let role: String; let content: String }
        let name: String
        let messages: [Message]
        let baseGreedyIDs: [Int32]

        enum CodingKeys: String, CodingKey { case name, messages, baseGreedyIDs = "base_greedy_ids" }
    }

    private struct Facts: Decodable { let cases: [PromptFacts] }

    private struct Reference: Decodable {
        let newTokens: Int
        let adapterFolder: String
        let cases: [GreedyReference.Case]

        enum CodingKeys: String, CodingKey { case cases, newTokens = "new_tokens", adapterFolder = "adapter_folder" }
    }

    private static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("mlx_adapter")
    }

    override func setUp() {
        super.setUp()
        Parallel.setThreads(2)
    }

    func testMLXTrainedAdapterGivesMLXGreedyIDs() throws {
        let loaded = try LlamaTestSupport.denseModel()
        let data = try Data(contentsOf: Self.directory.appendingPathComponent("reference.json"))
        let reference = try JSONDecoder().decode(Reference.self, from: data)
        let facts = try JSONDecoder().decode(Facts.self, from: data).cases
        XCTAssertEqual(reference.cases.count, 3)
        XCTAssertGreaterThanOrEqual(reference.newTokens, 16)

        let folder = Self.directory.appendingPathComponent(reference.adapterFolder)
        let adapter = try LoadedAdapter.open(path: folder.path, model: loaded.model)
        XCTAssertEqual(adapter.format, .mlx)
        XCTAssertEqual(adapter.lora.rank, 4)
        XCTAssertEqual(adapter.lora.alpha, 80, accuracy: 1e-4, "mlx-lm's scale 20 at rank 4")
        XCTAssertEqual(adapter.adapter.layers, [28, 29], "mlx-lm's num_layers 2: the last two blocks")
        let tuned = loaded.replacingModel(try loaded.model.fused(with: adapter.adapter, precision: .float32))

        for (c, fact) in zip(reference.cases, facts) {
            let messages = fact.messages.map { ChatMessage(role: $0.role, content: $0.content) }
            XCTAssertEqual(try loaded.chatTokens(messages), c.promptIDs, "\(c.name): Graft's chat template and tokenizer")
            XCTAssertNotEqual(fact.baseGreedyIDs, c.greedyIDs, "\(c.name): the adapter must change mlx-lm's output")

            let layers = loaded.model.config.layerCount
            let along = try GreedyReference.logitsAlongToolPath(c, step: { tokens, cache in
                try loaded.model.step(tokens, cache: cache, adapters: adapter.tree, lora: adapter.lora, lastPositionOnly: false)
            }, layerCount: layers)
            let path = GreedyReference.compare(c, graftLogits: along)
            let scale = c.topLogits.joined().map(abs).max()!
            XCTAssertLessThan(path.maxLogitDifference, Self.relativeLogitTolerance * scale, "\(c.name): logits along mlx-lm's path")
            for d in path.disagreements {
                XCTAssertLessThan(d.toolMargin ?? .infinity, Self.tieMargin, "\(c.name): step \(d.step) without a near tie")
            }
            print("mlx/\(c.name): teacher forcing: |Δlogit| max \(path.maxLogitDifference) (of logits up to \(scale)), mean \(path.meanLogitDifference)")

            let options = GenerationOptions(maxTokens: c.greedyIDs.count, stopTokenIDs: [])
            let result = try Generator(tuned).generate(prompt: c.promptIDs, options: options)
            GreedyReference.assertSameGreedyStart(result.tokens, c, required: c.greedyIDs.count, tieMargin: Self.tieMargin,
                                                  label: "mlx/\(c.name)")
        }
    }
}
