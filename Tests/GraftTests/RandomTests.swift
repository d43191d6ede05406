import Graft
import XCTest

final class RandomTests: XCTestCase {
    func testSameKeySameNumbersWhateverTheEvaluationOrder() {
        let key = RandomKey(seed: 42)
        let (k1, k2) = key.split()
        let a1 = Tensor.normal([1000], key: k1), b1 = Tensor.uniform([10, 10], key: k2)
        eval(b1)
        eval(a1)
        let a2 = Tensor.normal([1000], key: RandomKey(seed: 42).split().0)
        let b2 = Tensor.uniform([10, 10], key: RandomKey(seed: 42).split().1)
        eval(a2, b2)
        XCTAssertEqual(a1.toArray(), a2.toArray())
        XCTAssertEqual(b1.toArray(), b2.toArray())
        // A prefix of a longer draw equals the shorter draw: values depend on (key, index) only.
        XCTAssertEqual(Array(Tensor.normal([2000], key: k1).toArray().prefix(1000)), a1.toArray())
    }

    func testSplitKeysAreDistinctAndDifferentSeedsDiffer() {
        let keys = RandomKey(seed: 1).split(into: 64)
        XCTAssertEqual(Set(keys).count, 64)
        XCTAssertNotEqual(Tensor.uniform([8], key: RandomKey(seed: 1)).toArray(),
                          Tensor.uniform([8], key: RandomKey(seed: 2)).toArray())
    }

    func testDistributionMoments() {
        let n = 200_000
        let z = Tensor.normal([n], mean: 1, std: 2, key: RandomKey(seed: 7), dtype: .float64)
        let mean = z.mean().item(Double.self)
        let variance = ((z - mean).square()).mean().item(Double.self)
        XCTAssertEqual(mean, 1, accuracy: 0.02)  // standard error 2/√n ≈ 0.0045
        XCTAssertEqual(variance, 4, accuracy: 0.06)
        let u = Tensor.uniform([n], low: -1, high: 3, key: RandomKey(seed: 8), dtype: .float64)
        XCTAssertEqual(u.mean().item(Double.self), 1, accuracy: 0.02)
        XCTAssertGreaterThanOrEqual(u.min(), -1)
        let b = Tensor.bernoulli([n], p: 0.3, key: RandomKey(seed: 9))
        XCTAssertEqual(b.astype(.float32).mean().item(Double.self), 0.3, accuracy: 0.005)
    }
}

extension Tensor {
    func min() -> Double { toArray(as: Double.self).min()! }
}
