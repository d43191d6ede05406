import Foundation
import Graft
import GraftLM
import XCTest

/// Batching: coverage per epoch, seeded order, shifted targets, padding, bucketing, resuming.
final class DataBatchingTests: XCTestCase {
    /// `count` examples with lengths in `lengths` and a trained suffix of random size.
    private func makeExamples(count: Int, lengths: ClosedRange<Int>, seed: UInt64 = 99) -> [TokenizedExample] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { index in
            let length = lengths.lowerBound + generator.nextIndex(below: lengths.count)
            let tokens = (0..<length).map { _ in Int32(1 + generator.nextIndex(below: 49_000)) }
            let promptLength = generator.nextIndex(below: length)
            let trained = (0..<length).map { $0 >= promptLength }
            return TokenizedExample(tokens: tokens, trained: trained, line: index + 1)
        }
    }

    private func take(_ iterator: inout BatchIterator, _ count: Int) -> [TrainingBatch] {
        (0..<count).map { _ in iterator.next()! }
    }

    func testEveryExampleExactlyOncePerEpoch() {
        let examples = makeExamples(count: 103, lengths: 5...60)
        var iterator = BatchIterator(examples: examples, batchSize: 8, seed: 7, windowBatches: 4)
        XCTAssertEqual(iterator.batchesPerEpoch, 13)
        for epoch in 0..<3 {
            let batches = take(&iterator, 13)
            XCTAssertTrue(batches.allSatisfy { $0.position.epoch == epoch })
            XCTAssertEqual(batches.map(\.position.index), Array(0..<13))
            XCTAssertEqual(batches.flatMap(\.exampleIndices).sorted(), Array(0..<103), "epoch \(epoch)")
            XCTAssertEqual(batches.dropLast().map(\.batchSize), [Int](repeating: 8, count: 12))
            XCTAssertEqual(batches.last?.batchSize, 7, "the remainder is the last batch, not dropped")
        }
        XCTAssertEqual(iterator.position, BatchPosition(epoch: 3, index: 0))
    }

    func testExactMultipleHasNoSmallBatch() {
        var iterator = BatchIterator(examples: makeExamples(count: 64, lengths: 3...9), batchSize: 4, seed: 1)
        let batches = take(&iterator, iterator.batchesPerEpoch)
        XCTAssertEqual(batches.count, 16)
        XCTAssertTrue(batches.allSatisfy { $0.batchSize == 4 })
        XCTAssertEqual(batches.flatMap(\.exampleIndices).sorted(), Array(0..<64))
    }

    func testSameSeedSameOrder() {
        let examples = makeExamples(count: 250, lengths: 5...80)
        var first = BatchIterator(examples: examples, batchSize: 4, seed: 42)
        // Unrelated randomness in between must not matter.
        var unrelated = SystemRandomNumberGenerator()
        _ = (0..<100).map { _ in unrelated.next() }
        _ = BatchIterator(examples: examples, batchSize: 4, seed: 43).batchPlan(epoch: 0)
        var second = BatchIterator(examples: examples, batchSize: 4, seed: 42)
        let a = take(&first, 200).map(\.exampleIndices)
        let b = take(&second, 200).map(\.exampleIndices)
        XCTAssertEqual(a, b)
    }

    func testDifferentSeedOrEpochDifferentOrder() {
        let examples = makeExamples(count: 250, lengths: 5...80)
        let one = BatchIterator(examples: examples, batchSize: 4, seed: 1)
        let two = BatchIterator(examples: examples, batchSize: 4, seed: 2)
        XCTAssertNotEqual(one.batchPlan(epoch: 0), two.batchPlan(epoch: 0))
        XCTAssertNotEqual(one.batchPlan(epoch: 0), one.batchPlan(epoch: 1), "each epoch is reshuffled")
        XCTAssertEqual(one.batchPlan(epoch: 5), BatchIterator(examples: examples, batchSize: 4, seed: 1).batchPlan(epoch: 5))
    }

    func testTargetsAreInputsShiftedAndPaddingIsNeverTrained() {
        let examples = makeExamples(count: 37, lengths: 2...50)
        var iterator = BatchIterator(examples: examples, batchSize: 5, seed: 3, windowBatches: 1, paddingID: 2)
        var trainedTotal = 0
        for batch in take(&iterator, iterator.batchesPerEpoch) {
            XCTAssertEqual(batch.length, batch.exampleIndices.map { examples[$0].length - 1 }.max())
            var maskCount = 0
            for (row, index) in batch.exampleIndices.enumerated() {
                let example = examples[index]
                let real = example.length - 1
                XCTAssertEqual(batch.rowLengths[row], real)
                let base = row * batch.length
                XCTAssertEqual(Array(batch.inputIDs[base..<base + real]), Array(example.tokens.dropLast()))
                XCTAssertEqual(Array(batch.targetIDs[base..<base + real]), Array(example.tokens.dropFirst()))
                for t in 0..<batch.length {
                    if t + 1 < real { XCTAssertEqual(batch.targetIDs[base + t], batch.inputIDs[base + t + 1]) }
                    if t < real {
                        XCTAssertEqual(batch.lossMask[base + t], example.trained[t + 1])
                    } else {
                        XCTAssertFalse(batch.lossMask[base + t], "padding is never trained")
                        XCTAssertEqual(batch.inputIDs[base + t], 2)
                        XCTAssertEqual(batch.targetIDs[base + t], 2)
                    }
                    if batch.lossMask[base + t] { maskCount += 1 }
                }
            }
            XCTAssertEqual(batch.tokenCount, maskCount)
            XCTAssertEqual(batch.tokenCount, batch.exampleIndices.reduce(0) { $0 + examples[$1].trainedTokenCount })
            trainedTotal += batch.tokenCount
        }
        XCTAssertEqual(trainedTotal, examples.reduce(0) { $0 + $1.trainedTokenCount })
    }

    func testTensorsMatchArrays() {
        var iterator = BatchIterator(examples: makeExamples(count: 9, lengths: 4...20), batchSize: 4, seed: 5)
        let batch = iterator.next()!
        XCTAssertEqual(batch.inputs.shape, [4, batch.length])
        XCTAssertEqual(batch.inputs.dtype, .int32)
        XCTAssertEqual(batch.targets.dtype, .int32)
        XCTAssertEqual(batch.mask.dtype, .bool)
        XCTAssertEqual(batch.inputs.toArray(as: Int32.self), batch.inputIDs)
        XCTAssertEqual(batch.targets.toArray(as: Int32.self), batch.targetIDs)
        XCTAssertEqual(batch.mask.toArray(as: Bool.self), batch.lossMask)
    }

    /// Padding over one epoch, as a fraction of all positions.
    private func paddingFraction(_ examples: [TokenizedExample], windowBatches: Int, seed: UInt64) -> Double {
        var iterator = BatchIterator(examples: examples, batchSize: 8, seed: seed, windowBatches: windowBatches)
        var positions = 0, real = 0
        for batch in take(&iterator, iterator.batchesPerEpoch) {
            positions += batch.batchSize * batch.length
            real += batch.realTokenCount
        }
        return Double(positions - real) / Double(positions)
    }

    func testBucketingReducesPadding() {
        let examples = makeExamples(count: 1000, lengths: 10...300)
        for seed: UInt64 in [1, 2, 3] {
            let random = paddingFraction(examples, windowBatches: 1, seed: seed)
            let bucketed = paddingFraction(examples, windowBatches: 32, seed: seed)
            XCTAssertGreaterThan(random, 0.25, "random batches of uniform lengths waste a lot")
            XCTAssertLessThan(bucketed, random / 4, "seed \(seed): bucketed \(bucketed) vs random \(random)")
        }
    }

    func testResumeFromSavedPosition() throws {
        let examples = makeExamples(count: 45, lengths: 3...30)
        var original = BatchIterator(examples: examples, batchSize: 4, seed: 11)
        _ = take(&original, 17)  // into the second epoch (12 batches per epoch)
        let saved = original.position
        XCTAssertEqual(saved, BatchPosition(epoch: 1, index: 5))
        let expected = take(&original, 30)

        let encoded = try JSONEncoder().encode(saved)
        let restored = try JSONDecoder().decode(BatchPosition.self, from: encoded)
        var resumed = BatchIterator(examples: examples, batchSize: 4, seed: 11, position: restored)
        let actual = take(&resumed, 30)
        XCTAssertEqual(actual.map(\.exampleIndices), expected.map(\.exampleIndices))
        XCTAssertEqual(actual.map(\.position), expected.map(\.position))
        XCTAssertEqual(actual.map(\.inputIDs), expected.map(\.inputIDs))

        // Setting the position on a used iterator works too.
        var reused = BatchIterator(examples: examples, batchSize: 4, seed: 11)
        _ = take(&reused, 3)
        reused.position = restored
        XCTAssertEqual(take(&reused, 30).map(\.exampleIndices), expected.map(\.exampleIndices))
    }

    func testEvaluationOrderIsSortedAndFixed() {
        let examples = makeExamples(count: 30, lengths: 2...40)
        var iterator = BatchIterator(examples: examples, batchSize: 7, seed: 0, shuffle: false)
        let first = take(&iterator, iterator.batchesPerEpoch).map(\.exampleIndices)
        let second = take(&iterator, iterator.batchesPerEpoch).map(\.exampleIndices)
        XCTAssertEqual(first, second)
        let lengths = first.flatMap { $0 }.map { examples[$0].length }
        XCTAssertEqual(lengths, lengths.sorted())
        XCTAssertEqual(first.flatMap { $0 }.sorted(), Array(0..<30))
    }

    func testSeededShuffleIsAUniformPermutation() {
        // Each of 5 items lands in each slot about 1/5 of the time over many seeds.
        var counts = [[Int]](repeating: [Int](repeating: 0, count: 5), count: 5)
        for seed in 0..<5000 {
            var generator = SeededGenerator(seed: UInt64(seed))
            var items = Array(0..<5)
            generator.shuffle(&items)
            XCTAssertEqual(items.sorted(), Array(0..<5))
            for (slot, item) in items.enumerated() { counts[item][slot] += 1 }
        }
        for row in counts { for count in row { XCTAssertEqual(Double(count), 1000, accuracy: 150) } }
    }

    func testSplitFromDatasetFeedsTheIterator() throws {
        let tokenizer = try DataTestSupport.smolLM2Tokenizer()
        let encoder = try ExampleEncoder(tokenizer: tokenizer, maskPrompt: true)
        let directory = DataTestSupport.repositoryRoot.appendingPathComponent("data/sql").path
        let dataset = try Dataset(directory: directory, encoder: encoder, maxSequenceLength: 100)
        XCTAssertGreaterThan(dataset.train.truncatedCount, 0, "some SQL examples exceed 100 tokens")
        var iterator = BatchIterator(split: dataset.train, batchSize: 4, seed: 0, paddingID: try XCTUnwrap(tokenizer.padTokenID))
        let batches = take(&iterator, iterator.batchesPerEpoch)
        XCTAssertEqual(batches.count, 250)
        XCTAssertTrue(batches.allSatisfy { $0.length <= 99 })
        XCTAssertEqual(batches.reduce(0) { $0 + $1.tokenCount }, dataset.train.trainedTokenCount)
    }
}
