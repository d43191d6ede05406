import Graft
import GraftNN
import XCTest

final class LoRATests: XCTestCase {
    var rng = TestRNG(11)

    func testLoRAGradientsMatchFiniteDifferences() {
        let w = Tensor(rng.values(5 * 4), shape: [5, 4])
        let config = LoRAConfig(rank: 2, alpha: 3)
        let x = Tensor(rng.values(3 * 4), shape: [3, 4])
        checkGradients("lora a, b", inputs: [([2, 4], rng.values(8)), ([5, 2], rng.values(10))]) { p in
            LoRA.apply(x, base: .dense(w), adapter: .dict(["lora_a": .tensor(p[0]), "lora_b": .tensor(p[1])]), config: config)
        }
        let adapter = ParameterTree.dict(["lora_a": .tensor(Tensor(rng.values(8), shape: [2, 4])),
                                          "lora_b": .tensor(Tensor(rng.values(10), shape: [5, 2]))])
        checkGradients("lora input", inputs: [([3, 4], rng.values(12))]) { p in
            LoRA.apply(p[0], base: .dense(w), adapter: adapter, config: config)
        }
    }

    func testDoRAGradientsMatchFiniteDifferencesWithDetachedNorm() {
        let w = Tensor(rng.values(5 * 4), shape: [5, 4])
        let config = LoRAConfig(rank: 2, alpha: 2, dora: true)
        let x = Tensor(rng.values(3 * 4), shape: [3, 4])
        // The norm is detached (PEFT): differentiate with respect to the magnitude, whose
        // derivative does not involve the norm's own gradient.
        let a = Tensor(rng.values(8), shape: [2, 4]), b = Tensor(rng.values(10), shape: [5, 2])
        checkGradients("dora magnitude", inputs: [([5], rng.values(5, 0.5, 2))]) { p in
            LoRA.apply(x, base: .dense(w), adapter: .dict(["lora_a": .tensor(a), "lora_b": .tensor(b), "lora_magnitude": .tensor(p[0])]),
                       config: config)
        }
    }

    func testDoRANormFormulaEqualsExplicitMatrix() {
        let w = Tensor(rng.values(6 * 4), shape: [6, 4])
        let a = Tensor(rng.values(8), shape: [2, 4]), b = Tensor(rng.values(12), shape: [6, 2])
        let explicit = (w + Tensor.matmul(b, a) * 1.5).square().sum(axis: -1).sqrt()
        let p = ParameterTree.dict(["lora_a": .tensor(a), "lora_b": .tensor(b), "lora_magnitude": .tensor(Tensor.ones([6], dtype: .float64))])
        let x = Tensor.ones([1, 4], dtype: .float64)
        let y = LoRA.apply(x, base: .dense(w), adapter: p, config: LoRAConfig(rank: 2, alpha: 3, dora: true))
        let plain = LoRA.apply(x, base: .dense(w), adapter: p, config: LoRAConfig(rank: 2, alpha: 3))
        let ratio = (plain / y).toArray(as: Double.self)
        for (r, n) in zip(ratio, explicit.toArray(as: Double.self)) { XCTAssertEqual(r, n, accuracy: 1e-10) }
    }

    func testFreshAdapterLeavesTheBaseUnchangedAndDropoutIsSeeded() {
        let w = Tensor.normal([8, 16], key: RandomKey(seed: 1))
        let p = LoRA.parameters(for: .dense(w), config: LoRAConfig(rank: 4, dropout: 0.5), key: RandomKey(seed: 2))
        let x = Tensor.normal([3, 16], key: RandomKey(seed: 3))
        XCTAssertEqual(LoRA.apply(x, base: .dense(w), adapter: p, config: LoRAConfig(rank: 4, dropout: 0.5), dropoutKey: RandomKey(seed: 4)).toArray(),
                       Tensor.matmul(x, w, transposeB: true).toArray(), "B = 0: output equals the base")
        XCTAssertEqual(p["lora_a"]!.shape, [4, 16])
        XCTAssertEqual(p["lora_b"]!.shape, [8, 4])
    }

    func testFrozenBaseGetsNoWeightGradient() throws {
        let w = Tensor.normal([32, 16], key: RandomKey(seed: 1))
        eval(w)
        let params = LoRA.parameters(for: .dense(w), config: LoRAConfig(rank: 4), key: RandomKey(seed: 2))
        let x = Tensor.normal([8, 16], key: RandomKey(seed: 3))
        let (loss, grads) = valueAndGrad(params) { p in
            LoRA.apply(x, base: .dense(w), adapter: p, config: LoRAConfig(rank: 4)).square().sum()
        }
        // Forward: x·Wᵀ, x·Aᵀ, (x·Aᵀ)·Bᵀ. Backward for A and B: 3 more (dB, d(xAᵀ), dA).
        XCTAssertEqual(graphOperations([loss] + grads.tensors)["matmul"], 6)
    }
}
