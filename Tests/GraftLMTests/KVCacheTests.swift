import Foundation
import Graft
import GraftLM
import XCTest

/// The preallocated KV cache on the real model: growth by doubling, ragged rows at their own
/// positions, dropping finished rows; every result against a full forward pass or a
/// sequence run alone.
final class KVCacheTests: XCTestCase {
    override func setUp() {
        super.setUp()
        Parallel.setThreads(2)
    }

    /// Decoding one token at a time through a cache that starts with room for 4 positions (and
    /// so doubles four times) gives the logits of a full forward pass at every position.
    func testGrowingCacheMatchesFullForward() throws {
        let loaded = try LlamaTestSupport.model()
        let model = loaded.model
        let c = try LlamaTestSupport.reference().cases[1]
        let tokens = c.promptIDs + c.greedyIDs.prefix(8)
        let full = model.logits(Tensor(tokens, shape: [1, tokens.count]))
        eval(full)
        let cache = KVCache(layerCount: model.config.layerCount, initialCapacity: 4)
        var capacities: [Int] = []
        for (position, token) in tokens.enumerated() {
            let row = try model.step([token], cache: cache).toArray(as: Float.self)
            let expected = full.slice(axis: 1, position..<(position + 1)).toArray(as: Float.self)
            let error = LlamaTestSupport.relativeError(row, expected)
            XCTAssertLessThan(error, 1e-4, "position \(position): relative error \(error)")
            if capacities.last != cache.capacity { capacities.append(cache.capacity) }
        }
        XCTAssertEqual(cache.length, tokens.count)
        var expectedCapacities = [4]
        while expectedCapacities.last! < tokens.count { expectedCapacities.append(expectedCapacities.last! * 2) }
        XCTAssertEqual(capacities, expectedCapacities)
        let c0 = model.config
        XCTAssertEqual(cache.byteCount, 2 * c0.layerCount * c0.keyValueHeadCount * cache.capacity * c0.headDimension * 4)
        cache.reset()
        XCTAssertEqual(cache.length, 0)
        XCTAssertEqual(cache.byteCount, 0)
    }

    /// A ragged batch (three prompts of different lengths in one right-padded pass), then
    /// single-token steps with every row at its own position, then a step after dropping a
    /// row: each row's logits equal its sequence's logits run alone.
    func testRaggedRowsMatchSequencesRunAlone() throws {
        let loaded = try LlamaTestSupport.model()
        let model = loaded.model
        let reference = try LlamaTestSupport.reference()
        let prompts = reference.cases.prefix(3).map(\.promptIDs)
        XCTAssertEqual(Set(prompts.map(\.count)).count, 3, "the prompts should differ in length")
        let continuations = reference.cases.prefix(3).map { Array($0.greedyIDs.prefix(3)) }
        let vocabulary = model.config.vocabularySize

        var alone: [[[Float]]] = []  // per sequence: logits after the prompt and after each continuation token
        for (prompt, continuation) in zip(prompts, continuations) {
            let cache = KVCache(layerCount: model.config.layerCount)
            var rows = [try model.step(prompt, cache: cache).toArray(as: Float.self)]
            for token in continuation { rows.append(try model.step([token], cache: cache).toArray(as: Float.self)) }
            alone.append(rows)
        }

        let cache = KVCache(layerCount: model.config.layerCount, batchSize: 3)
        func check(_ logits: Tensor, rows: [Int], step: Int) {
            XCTAssertEqual(logits.shape, [rows.count, vocabulary])
            let values = logits.toArray(as: Float.self)
            for (row, sequence) in rows.enumerated() {
                let got = Array(values[(row * vocabulary)..<((row + 1) * vocabulary)])
                let error = LlamaTestSupport.relativeError(got, alone[sequence][step])
                XCTAssertLessThan(error, 1e-4, "sequence \(sequence), step \(step): relative error \(error)")
            }
        }
        check(try model.step(rows: prompts, cache: cache), rows: [0, 1, 2], step: 0)
        XCTAssertEqual(cache.lengths, prompts.map(\.count))
        for step in 1...2 {
            check(try model.step(rows: continuations.map { [$0[step - 1]] }, cache: cache), rows: [0, 1, 2], step: step)
        }
        cache.keepRows([2, 0])
        XCTAssertEqual(cache.batchSize, 2)
        XCTAssertEqual(cache.lengths, [prompts[2].count + 2, prompts[0].count + 2])
        check(try model.step(rows: [[continuations[2][2]], [continuations[0][2]]], cache: cache), rows: [2, 0], step: 3)
    }

    /// Bad batch input is refused with errors naming the problem, before any work.
    func testBatchStepErrors() throws {
        let loaded = try LlamaTestSupport.model()
        let model = loaded.model
        let cache = KVCache(layerCount: model.config.layerCount, batchSize: 2)
        XCTAssertThrowsError(try model.step(rows: [[1, 2]], cache: cache)) { XCTAssertTrue("\($0)".contains("1 rows"), "\($0)") }
        XCTAssertThrowsError(try model.step(rows: [[1], []], cache: cache)) { XCTAssertTrue("\($0)".contains("row 1"), "\($0)") }
        XCTAssertThrowsError(try model.step(rows: [[1], [70_000]], cache: cache)) { XCTAssertTrue("\($0)".contains("70000"), "\($0)") }
        XCTAssertEqual(cache.lengths, [0, 0])
        XCTAssertThrowsError(try Generator(loaded).generate(prompt: [1, 2], cache: cache)) {
            XCTAssertTrue("\($0)".contains("2 sequences"), "\($0)")
        }
    }
}
