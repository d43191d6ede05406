import Foundation
import Graft
import GraftNN
import GraftOptim
import XCTest

/// `GradientAccumulator`: averaged micro-batch gradients equal the big batch's gradient.
final class OptimAccumulatorTests: XCTestCase {
    static let batch = 16

    /// A two-layer MLP built from `Linear`, its data (16 samples, 3 classes) and a mask.
    struct Problem {
        let params: ParameterTree
        let x: Tensor
        let y: Tensor
        let mask: Tensor

        init(dtype: DType, seed: UInt64) {
            let keys = RandomKey(seed: seed).split(into: 5)
            params = .dict([
                "hidden": Linear.parameters(inputs: 6, outputs: 10, key: keys[0], dtype: dtype),
                "output": Linear.parameters(inputs: 10, outputs: 3, key: keys[1], dtype: dtype),
            ])
            x = Tensor.normal([OptimAccumulatorTests.batch, 6], key: keys[2], dtype: dtype)
            y = (Tensor.uniform([OptimAccumulatorTests.batch], key: keys[3]) * 3).astype(.int32)
            mask = Tensor.bernoulli([OptimAccumulatorTests.batch], p: 0.6, key: keys[4])
            eval([params.tensors, [x, y, mask]].flatMap { $0 })
        }

        func loss(_ p: ParameterTree, rows: Range<Int>, masked: Bool) -> Tensor {
            let h = Linear.apply(p.subtree("hidden")!, x.slice(axis: 0, rows)).tanh()
            let logits = Linear.apply(p.subtree("output")!, h)
            return Tensor.crossEntropy(logits: logits, targets: y.slice(axis: 0, rows),
                                       mask: masked ? mask.slice(axis: 0, rows) : nil)
        }

        func gradient(rows: Range<Int>, masked: Bool = false) -> ParameterTree {
            let (_, g) = valueAndGrad(params) { loss($0, rows: rows, masked: masked) }
            return g
        }
    }

    func maxDifference(_ a: ParameterTree, _ b: ParameterTree) -> Double {
        XCTAssertEqual(a.flattened().map(\.path), b.flattened().map(\.path))
        var worst = 0.0
        for (path, t) in a.flattened() {
            worst = max(worst, OptimFixtures.maxDifference(t, b[path]!.toArray(as: Double.self)))
        }
        return worst
    }

    /// 4 micro-batches of 4 rows, mean loss each: the average of their gradients is the gradient
    /// of the mean loss over all 16 rows.
    func testFourMicroBatchesEqualBigBatch() throws {
        for (dtype, tolerance) in [(DType.float32, 1e-6), (.float64, 1e-12)] {
            let problem = Problem(dtype: dtype, seed: 7)
            let big = problem.gradient(rows: 0..<16)
            var accumulator = GradientAccumulator(microBatches: 4)
            for start in stride(from: 0, to: 16, by: 4) {
                XCTAssertFalse(accumulator.isComplete)
                let pending = try accumulator.add(problem.gradient(rows: start..<(start + 4)))
                eval(pending)
            }
            XCTAssertTrue(accumulator.isComplete)
            XCTAssertEqual(accumulator.count, 4)
            let averaged = try XCTUnwrap(accumulator.average())
            let diff = maxDifference(averaged, big)
            XCTAssertLessThanOrEqual(diff, tolerance, "\(dtype)")
            XCTAssertGreaterThan(big.tensors.map { $0.abs().max().item(Double.self) }.max()!, 1e-3,
                                 "gradients are not trivially zero")
            XCTAssertEqual(accumulator.count, 0)
            XCTAssertNil(accumulator.average())
        }
    }

    /// Unequal micro-batches under a mask: weighting each by its number of counted rows gives the
    /// gradient of the masked mean over the whole batch; equal weights do not.
    func testWeightedMicroBatchesEqualMaskedMean() throws {
        let problem = Problem(dtype: .float64, seed: 11)
        let big = problem.gradient(rows: 0..<16, masked: true)
        let maskValues = problem.mask.toArray(as: Double.self)
        let parts = [0..<3, 3..<8, 8..<10, 10..<16]
        var weighted = GradientAccumulator(microBatches: parts.count)
        var unweighted = GradientAccumulator(microBatches: parts.count)
        for rows in parts {
            let counted = maskValues[rows].reduce(0, +)
            guard counted > 0 else { throw XCTSkip("a micro-batch has no counted rows with this seed") }
            let g = problem.gradient(rows: rows, masked: true)
            eval(try weighted.add(g, weight: counted))
            eval(try unweighted.add(g))
        }
        XCTAssertEqual(weighted.totalWeight, maskValues.reduce(0, +))
        XCTAssertLessThanOrEqual(maxDifference(try XCTUnwrap(weighted.average()), big), 1e-12)
        XCTAssertGreaterThan(maxDifference(try XCTUnwrap(unweighted.average()), big), 1e-4)
    }

    func testMismatchedTreesAreRejected() throws {
        var accumulator = GradientAccumulator(microBatches: 2)
        try accumulator.add(.dict(["a": .tensor(Tensor([1.0])), "b": .tensor(Tensor([2.0]))]))
        XCTAssertThrowsError(try accumulator.add(.dict(["a": .tensor(Tensor([1.0])), "c": .tensor(Tensor([2.0]))]))) {
            let message = String(describing: $0)
            XCTAssertTrue(message.contains("gradient trees differ at b, c"), message)
        }
        XCTAssertEqual(accumulator.count, 1)
    }
}
