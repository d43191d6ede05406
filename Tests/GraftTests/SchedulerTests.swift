import Graft
import XCTest

/// Laziness, memory release by the scheduler, and evaluation semantics.
final class SchedulerTests: XCTestCase {
    func testBuildingDoesNoWork() {
        let before = Allocator.activeBytes
        let x = Tensor.ones([1024, 1024])
        let y = (x * 2 + 1).exp().sum()
        XCTAssertFalse(y.isEvaluated)
        XCTAssertEqual(Allocator.activeBytes, before, "building an expression allocates no tensor memory")
        XCTAssertEqual(y.item(Double.self), 1024 * 1024 * Foundation.exp(3.0), accuracy: 1e3)
        XCTAssertTrue(y.isEvaluated)
    }

    func testLongChainPeakMemoryStaysBounded() {
        let n = 1 << 18  // 1 MiB of float32
        let x = Tensor.uniform([n], key: RandomKey(seed: 1))
        eval(x)
        var y = x
        for i in 0..<200 { y = (y * 1.0001 + Double(i % 3)).tanh() }
        Allocator.resetPeak()
        let base = Allocator.activeBytes
        eval(y)
        let peak = Allocator.peakBytes - base
        // 400 intermediates of 1 MiB each; at most a few may be alive at once.
        XCTAssertLessThanOrEqual(peak, 4 * n * 4, "peak \(peak) bytes over a 200-step chain")
        XCTAssertEqual(Allocator.activeBytes - base, n * 4, "only the output stays alive")
    }

    func testBackwardFreesActivationsToo() {
        let n = 1 << 16
        let w = Tensor.normal([n], key: RandomKey(seed: 2))
        eval(w)
        let (loss, grads) = valueAndGrad([w]) { p in
            var h = p[0]
            for _ in 0..<100 { h = (h * 0.9).sigmoid() }
            return h.sum()
        }
        Allocator.resetPeak()
        let base = Allocator.activeBytes
        eval([loss] + grads)
        let peak = Allocator.peakBytes - base
        // The forward activations are needed by the backward pass (~100 × n floats); the
        // bound checks that backward temporaries are released rather than accumulated.
        XCTAssertLessThan(peak, 110 * n * 4, "peak \(peak) = \(Double(peak) / Double(n * 4)) tensors")
        XCTAssertEqual(grads[0].shape, [n])
    }

    func testReadingAReleasedIntermediateRecomputesIt() {
        let x = Tensor([1.0, 2.0, 3.0])
        let h = x * 2
        let y = h + 1
        eval(y)
        XCTAssertFalse(h.isEvaluated, "intermediate released after its last consumer")
        XCTAssertEqual(h.toArray(as: Double.self), [2, 4, 6])
        XCTAssertEqual(y.toArray(as: Double.self), [3, 5, 7])
    }

    func testSharedSubexpressionsRunOnce() {
        let x = Tensor([1.0, -1.0])
        let s = x.exp()
        let y = s * s + s
        XCTAssertEqual(y.toArray(as: Double.self)[0], Foundation.exp(2.0) + Foundation.exp(1.0), accuracy: 1e-12)
        XCTAssertEqual(graphOperations([s * s + s])["exp"], 1)
    }

    func testFrozenInputsGetNoBackwardWork() {
        let x = Tensor.normal([8, 16], key: RandomKey(seed: 3))
        let frozen = Tensor.normal([32, 16], key: RandomKey(seed: 4))
        let lora = Tensor.normal([4, 16], key: RandomKey(seed: 5))
        eval(x, frozen, lora)
        let (_, grads) = valueAndGrad([lora]) { p in
            let base = Tensor.matmul(x, frozen, transposeB: true)  // [8, 32]
            let delta = Tensor.matmul(Tensor.matmul(x, p[0], transposeB: true), Tensor.ones([4, 32]))
            return (base + delta).square().sum()
        }
        let ops = graphOperations(grads)
        // Forward: x·Wᵀ, x·Aᵀ, (·)·1 → 3 matmuls; backward for A only: 2 more. A weight
        // gradient for the frozen matrix would add a sixth.
        XCTAssertEqual(ops["matmul"], 5, "\(ops)")
    }

    func testThreadsSettingIsHonoured() {
        let saved = Parallel.threads
        Parallel.setThreads(1)
        let a = Tensor.uniform([300, 300], key: RandomKey(seed: 9))
        let single = (a.exp() * a).sum().item(Double.self)
        Parallel.setThreads(2)
        let double = (a.exp() * a).sum().item(Double.self)
        Parallel.setThreads(saved)
        XCTAssertEqual(single, double, accuracy: Swift.abs(single) * 1e-6)
    }

    func testElementwiseChainsRunFusedWithoutIntermediates() {
        let n = 1 << 20
        let a = Tensor.normal([n], key: RandomKey(seed: 10)), b = Tensor.normal([n], key: RandomKey(seed: 11))
        eval(a, b)
        Allocator.resetPeak()
        let base = Allocator.activeBytes
        let y = (a.silu() * b + 1).exp() / 2
        eval(y)
        // Only the chain's output (plus two scalar constants of one cache line each).
        XCTAssertLessThanOrEqual(Allocator.peakBytes - base, n * 4 + 256, "intermediates were materialised")
        let av = a.toArray(), bv = b.toArray(), yv = y.toArray()
        for i in stride(from: 0, to: n, by: 997) {
            let x = Double(av[i])
            let want = Foundation.exp(x / (1 + Foundation.exp(-x)) * Double(bv[i]) + 1) / 2
            XCTAssertEqual(Double(yv[i]), want, accuracy: 1e-5 * Swift.max(1, Swift.abs(want)))
        }
    }

    func testFastExpAccuracyAndSpecialValues() {
        var xs: [Float] = [0, 1, -1, 88.7, 89, -87, -88, -200, .infinity, -.infinity, .nan]
        xs += stride(from: Float(-80), through: 80, by: 0.37).map { $0 }
        let got = Tensor(xs).exp().toArray()
        for (x, y) in zip(xs, got) {
            let want = Foundation.exp(Double(x))
            if x.isNaN { XCTAssertTrue(y.isNaN); continue }
            if want > Double(Float.greatestFiniteMagnitude) { XCTAssertEqual(y, .infinity); continue }
            if want < Double(Float.leastNormalMagnitude) { XCTAssertEqual(y, 0, "flushes below the normal range"); continue }
            XCTAssertEqual(Double(y), want, accuracy: want * 3e-7, "exp(\(x))")
        }
    }
}
