import Graft
import XCTest

/// Every differentiable primitive's vjp against central finite differences (float64), on
/// random shapes with broadcasting, size-1 axes, and transposed or sliced inputs.
final class GradientTests: XCTestCase {
    var rng = TestRNG(2026)

    func randomShape(rank: Int) -> [Int] { (0..<rank).map { _ in rng.int(1...4) } }
    func input(_ shape: [Int], _ lo: Double = -1, _ hi: Double = 1) -> (shape: [Int], values: [Double]) {
        (shape, rng.values(shape.reduce(1, *), lo, hi))
    }

    func testUnaryOps() {
        for trial in 0..<3 {
            let s = randomShape(rank: 1 + trial)
            checkGradients("neg", inputs: [input(s)]) { -$0[0] }
            checkGradients("exp", inputs: [input(s)]) { $0[0].exp() }
            checkGradients("log", inputs: [input(s, 0.5, 2)]) { $0[0].log() }
            checkGradients("sqrt", inputs: [input(s, 0.5, 2)]) { $0[0].sqrt() }
            checkGradients("rsqrt", inputs: [input(s, 0.5, 2)]) { $0[0].rsqrt() }
            checkGradients("sigmoid", inputs: [input(s, -3, 3)]) { $0[0].sigmoid() }
            checkGradients("silu", inputs: [input(s, -3, 3)]) { $0[0].silu() }
            checkGradients("tanh", inputs: [input(s, -2, 2)]) { $0[0].tanh() }
            checkGradients("square", inputs: [input(s)]) { $0[0].square() }
        }
    }

    func testBinaryOpsWithBroadcasting() {
        let pairs: [([Int], [Int])] = [([3, 4], [3, 4]), ([2, 3, 4], [4]), ([2, 1, 4], [3, 1]), ([1], [2, 3]), ([], [3, 2])]
        for (sa, sb) in pairs {
            checkGradients("add \(sa) \(sb)", inputs: [input(sa), input(sb)]) { $0[0] + $0[1] }
            checkGradients("sub \(sa) \(sb)", inputs: [input(sa), input(sb)]) { $0[0] - $0[1] }
            checkGradients("mul \(sa) \(sb)", inputs: [input(sa), input(sb)]) { $0[0] * $0[1] }
            checkGradients("div \(sa) \(sb)", inputs: [input(sa), input(sb, 0.5, 2)]) { $0[0] / $0[1] }
            checkGradients("pow \(sa) \(sb)", inputs: [input(sa, 0.5, 2), input(sb)]) { $0[0].pow($0[1]) }
            checkGradients("maximum \(sa) \(sb)", inputs: [input(sa), input(sb)]) { Tensor.maximum($0[0], $0[1]) }
            checkGradients("minimum \(sa) \(sb)", inputs: [input(sa), input(sb)]) { Tensor.minimum($0[0], $0[1]) }
        }
        checkGradients("scalar ops", inputs: [input([3, 2])]) { (2.0 - $0[0] * 3.0) / 4.0 + 1.0 }
    }

    func testWhereAndComparisons() {
        checkGradients("where", inputs: [input([3, 4]), input([4]), input([3, 1])]) { x in
            Tensor.where(x[0] .> x[1], x[0] * x[1], x[2])
        }
    }

    func testReductions() {
        for trial in 0..<3 {
            let s = randomShape(rank: 3)
            let axis = trial - 1
            checkGradients("sum \(s) axis \(axis)", inputs: [input(s)]) { $0[0].sum(axis: axis) }
            checkGradients("sum keepdims \(s)", inputs: [input(s)]) { $0[0].sum(axes: [0, 2], keepDims: true) }
            checkGradients("mean \(s)", inputs: [input(s)]) { $0[0].mean(axis: axis, keepDims: true) }
            checkGradients("sum all \(s)", inputs: [input(s)]) { $0[0].sum() }
            checkGradients("max \(s)", inputs: [input(s)]) { $0[0].max(axis: axis) }
            checkGradients("logsumexp \(s)", inputs: [input(s, -3, 3)]) { $0[0].logSumExp(axis: axis) }
            checkGradients("softmax \(s)", inputs: [input(s, -3, 3)]) { $0[0].softmax(axis: axis) }
            checkGradients("logSoftmax \(s)", inputs: [input(s, -3, 3)]) { $0[0].logSoftmax(axis: axis) }
        }
    }

    func testLayoutOps() {
        checkGradients("reshape", inputs: [input([2, 3, 4])]) { $0[0].reshaped([4, -1]) }
        checkGradients("transpose", inputs: [input([2, 3, 4])]) { $0[0].transposed([2, 0, 1]) }
        checkGradients("broadcast", inputs: [input([3, 1])]) { $0[0].broadcast(to: [2, 3, 4]) }
        checkGradients("slice strided", inputs: [input([5, 6])]) {
            $0[0].slice(start: [1, -1], stop: [5, 0], step: [2, -2])
        }
        checkGradients("concatenate", inputs: [input([2, 3]), input([2, 1]), input([2, 2])]) {
            Tensor.concatenate($0, axis: 1)
        }
        checkGradients("take", inputs: [input([5, 3])]) {
            $0[0].take(Tensor([Int32(4), 0, 4, -1], shape: [2, 2]), axis: 0)
        }
        checkGradients("take axis 1", inputs: [input([2, 5, 3])]) { $0[0].take(Tensor([Int32(1), 1, 3]), axis: 1) }
        // float32 in the middle: a wider step keeps rounding out of the difference quotient.
        checkGradients("astype round trip", inputs: [input([4])], tolerance: 1e-4, eps: 1e-2) {
            $0[0].astype(.float32).astype(.float64) * 2
        }
    }

    func testMatmul() {
        checkGradients("matmul 2d", inputs: [input([3, 4]), input([4, 2])]) { Tensor.matmul($0[0], $0[1]) }
        checkGradients("matmul batched broadcast", inputs: [input([2, 1, 3, 4]), input([3, 4, 2])]) { Tensor.matmul($0[0], $0[1]) }
        checkGradients("matmul shared rhs", inputs: [input([2, 3, 4]), input([4, 5])]) { Tensor.matmul($0[0], $0[1]) }
        checkGradients("matmul transposed B", inputs: [input([2, 3, 4]), input([5, 4])]) { Tensor.matmul($0[0], $0[1], transposeB: true) }
        checkGradients("matmul transposed A", inputs: [input([2, 4, 3]), input([2, 4, 5])]) { Tensor.matmul($0[0], $0[1], transposeA: true) }
        checkGradients("matmul of transposed/sliced inputs", inputs: [input([4, 3]), input([6, 5])]) { x in
            Tensor.matmul(x[0].T, x[1].slice(start: [0, 1], stop: [6, 5], step: [2, 1]).T)
        }
        checkGradients("matvec", inputs: [input([3, 4]), input([4])]) { Tensor.matmul($0[0], $0[1]) }
    }

    func testFusedOps() {
        checkGradients("rmsNorm", inputs: [input([2, 3, 8]), input([8])]) { $0[0].rmsNorm(weight: $0[1], eps: 1e-5) }
        for traditional in [true, false] {
            checkGradients("rope traditional=\(traditional)", inputs: [input([1, 2, 5, 8])]) {
                $0[0].rope(dims: 6, traditional: traditional, base: 100, offset: 3)
            }
        }
        for causal in [true, false] {
            checkGradients("attention causal=\(causal)", inputs: [input([2, 4, 3, 4]), input([2, 2, 5, 4]), input([2, 2, 5, 3])]) {
                Tensor.attention(q: $0[0], k: $0[1], v: $0[2], causal: causal)
            }
        }
        let targets = Tensor([Int32(1), 0, 3, 2, 2, 0], shape: [2, 3])
        let mask = Tensor([true, false, true, true, true, false], shape: [2, 3])
        checkGradients("crossEntropy masked", inputs: [input([2, 3, 4], -2, 2)]) {
            Tensor.crossEntropy(logits: $0[0], targets: targets, mask: mask)
        }
        checkGradients("crossEntropy all rows", inputs: [input([6, 4], -2, 2)]) {
            Tensor.crossEntropy(logits: $0[0], targets: targets.reshaped([6]))
        }
    }

    func testStopGradientBlocksOnlyItsPath() {
        let x = Tensor([0.5, -2.0, 3.0]), y = Tensor([1.5, 2.0, -1.0])
        let (_, g) = valueAndGrad([x, y]) { ($0[0] * $0[1].stopGradient() + $0[1]).sum() }
        XCTAssertEqual(g[0].toArray(as: Double.self), [1.5, 2.0, -1.0])
        XCTAssertEqual(g[1].toArray(as: Double.self), [1, 1, 1])
    }
}
