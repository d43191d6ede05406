import Graft
import XCTest

/// A small deterministic generator for test shapes and values.
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var z = state
        z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        return z ^ (z >> 33)
    }
    mutating func uniform(_ lo: Double = -1, _ hi: Double = 1) -> Double {
        lo + (hi - lo) * Double(next() >> 11) * 0x1.0p-53
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
    mutating func values(_ n: Int, _ lo: Double = -1, _ hi: Double = 1) -> [Double] { (0..<n).map { _ in uniform(lo, hi) } }
}

/// Checks every input's gradient of `f` against central finite differences in float64.
///
/// The scalar differentiated is `Σ f(x) ⊙ w` with fixed random weights `w`, so every output
/// element's vjp is exercised.
func checkGradients(_ name: String, inputs: [(shape: [Int], values: [Double])], tolerance: Double = 1e-6,
                    eps: Double = 1e-6, seed: UInt64 = 7, file: StaticString = #filePath, line: UInt = #line,
                    _ f: @escaping ([Tensor]) -> Tensor) {
    var rng = TestRNG(seed)
    let base = inputs.map { Tensor($0.values, shape: $0.shape) }
    let outShape = f(base).shape
    let weights = Tensor(rng.values(outShape.reduce(1, *)), shape: outShape)
    let scalar: ([Tensor]) -> Tensor = { (f($0) * weights).sum() }
    let (_, grads) = valueAndGrad(base, scalar)
    eval(grads)
    for (k, input) in inputs.enumerated() {
        let analytic = grads[k].toArray(as: Double.self)
        XCTAssertEqual(analytic.count, input.values.count, "\(name): gradient \(k) has the wrong size", file: file, line: line)
        for i in 0..<input.values.count {
            func value(at delta: Double) -> Double {
                var moved = input.values
                moved[i] += delta
                var args = base
                args[k] = Tensor(moved, shape: input.shape)
                return scalar(args).item(Double.self)
            }
            let numeric = (value(at: eps) - value(at: -eps)) / (2 * eps)
            let err = Swift.abs(numeric - analytic[i]) / Swift.max(1, Swift.abs(numeric))
            if err > tolerance {
                XCTFail("\(name): d/dx\(k)[\(i)] analytic \(analytic[i]) vs numeric \(numeric)", file: file, line: line)
                return
            }
        }
    }
}
