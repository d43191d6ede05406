import Foundation
import Graft
import GraftLM
import XCTest

/// Batched generation on the real model: every sequence of a ragged batch produces the tokens
/// it produces alone, and transformers' greedy tokens where the reference has them.
final class BatchGenerateTests: XCTestCase {
    override func setUp() {
        super.setUp()
        Parallel.setThreads(2)
    }

    /// The four reference prompts (8 to 41 tokens) together, 24 tokens each through EOS:
    /// each sequence equals its batch-1 generation, and the three with 64 reference tokens
    /// equal transformers' greedy ids.
    func testRaggedBatchMatchesSingleSequencesAndTransformers() throws {
        let loaded = try LlamaTestSupport.model()
        let reference = try LlamaTestSupport.reference()
        let cases = reference.cases + [reference.stopAtEOS]
        let options = GenerationOptions(maxTokens: 24, stopTokenIDs: [])
        let batch = try BatchGenerator(loaded).generate(prompts: cases.map(\.promptIDs), options: options)
        XCTAssertEqual(batch.results.count, cases.count)
        for (c, result) in zip(cases, batch.results) {
            let alone = try Generator(loaded).generate(prompt: c.promptIDs, options: options)
            XCTAssertEqual(result.tokens.count, 24, c.name)
            XCTAssertEqual(result.tokens, alone.tokens, "\(c.name): batch \(result.text.debugDescription) vs alone \(alone.text.debugDescription)")
            XCTAssertEqual(result.text, alone.text, c.name)
            XCTAssertEqual(result.finishReason, .maxTokens, c.name)
            if c.greedyIDs.count >= 24 { XCTAssertEqual(result.tokens, Array(c.greedyIDs.prefix(24)), c.name) }
        }
        let s = batch.statistics
        XCTAssertEqual(s.sequences, 4)
        XCTAssertEqual(s.promptTokens, cases.reduce(0) { $0 + $1.promptIDs.count })
        XCTAssertEqual(s.generatedTokens, 4 * 24)
        XCTAssertEqual(s.decodeTokens, 4 * 23)
        XCTAssertEqual(s.decodeSteps, 23)
        XCTAssertGreaterThan(s.decodeTokensPerSecond, 0)
        XCTAssertGreaterThan(s.timeToFirstToken, s.promptSeconds)
        print("batch of 4: \(s.summary)")
    }

    /// With the model's stop tokens, "france" ends at EOS after 8 tokens and leaves the batch
    /// while the others go on to their budget; results (tokens, text, reason) equal batch-1
    /// generations.
    func testSequencesStopOnTheirOwn() throws {
        let loaded = try LlamaTestSupport.model()
        let reference = try LlamaTestSupport.reference()
        let cases = [reference.stopAtEOS] + reference.cases
        let options = GenerationOptions(maxTokens: 20)
        let batch = try BatchGenerator(loaded).generate(prompts: cases.map(\.promptIDs), options: options)
        XCTAssertEqual(batch.results[0].tokens, reference.stopAtEOS.greedyIDs)
        XCTAssertEqual(batch.results[0].finishReason, .stopToken)
        XCTAssertEqual(batch.results[0].text, reference.stopAtEOS.greedyText)
        for (c, result) in zip(cases, batch.results) {
            let alone = try Generator(loaded).generate(prompt: c.promptIDs, options: options)
            XCTAssertEqual(result.tokens, alone.tokens, c.name)
            XCTAssertEqual(result.text, alone.text, c.name)
            XCTAssertEqual(result.finishReason, alone.finishReason, c.name)
            XCTAssertEqual(result.statistics.generatedTokens, alone.tokens.count, c.name)
        }
        XCTAssertGreaterThan(batch.results[1].tokens.count, 8)
        XCTAssertEqual(batch.statistics.generatedTokens, batch.results.reduce(0) { $0 + $1.tokens.count })
        XCTAssertEqual(batch.statistics.decodeSteps, batch.results.map(\.tokens.count).max()! - 1)
    }

    func testBadBatchesAreRefused() throws {
        let loaded = try LlamaTestSupport.model()
        let generator = BatchGenerator(loaded)
        XCTAssertThrowsError(try generator.generate(prompts: [])) { XCTAssertTrue("\($0)".contains("no prompts"), "\($0)") }
        XCTAssertThrowsError(try generator.generate(prompts: [[1, 2], []])) { XCTAssertTrue("\($0)".contains("prompt 1"), "\($0)") }
        let long = [Int32](repeating: 28, count: loaded.model.config.contextLength + 1)
        XCTAssertThrowsError(try generator.generate(prompts: [[1], long])) {
            XCTAssertEqual($0 as? ModelError, .contextOverflow(tokens: 8193, contextLength: 8192))
        }
        XCTAssertThrowsError(try generator.generate(prompts: [[1]], options: GenerationOptions(maxTokens: -1))) {
            XCTAssertTrue("\($0)".contains("-1"), "\($0)")
        }
        let none = try generator.generate(prompts: [[1, 2], [3]], options: GenerationOptions(maxTokens: 0))
        XCTAssertEqual(none.results.map(\.tokens), [[], []])
    }
}
