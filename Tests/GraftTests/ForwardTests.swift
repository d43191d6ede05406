import Foundation
import Graft
import XCTest

/// Forward results against NumPy (scripts/fixtures/core_ops.py → Fixtures/core_ops.json), in
/// float64 (tight) and float32 (loose).
final class ForwardTests: XCTestCase {
    struct Array64: Decodable { let shape: [Int]; let data: [Double] }
    struct Case: Decodable { let name: String; let inputs: [Array64]; let output: Array64 }
    struct Fixture: Decodable { let cases: [Case] }

    static let fixture: Fixture = {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("core_ops.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    /// The Graft expression for each fixture case.
    nonisolated(unsafe) static let ops: [String: ([Tensor]) -> Tensor] = [
        "add_broadcast": { $0[0] + $0[1] },
        "sub_broadcast": { $0[0] - $0[1] },
        "mul_broadcast": { $0[0] * $0[1] },
        "div": { $0[0] / $0[1] },
        "pow": { $0[0].pow($0[1]) },
        "maximum": { Tensor.maximum($0[0], $0[1]) },
        "minimum": { Tensor.minimum($0[0], $0[1]) },
        "exp": { $0[0].exp() },
        "log": { $0[0].log() },
        "sqrt": { $0[0].sqrt() },
        "rsqrt": { $0[0].rsqrt() },
        "sigmoid": { $0[0].sigmoid() },
        "silu": { $0[0].silu() },
        "tanh": { $0[0].tanh() },
        "where_greater": { Tensor.where($0[0] .> $0[1], $0[0], $0[1]) },
        "sum_axis1": { $0[0].sum(axis: 1) },
        "sum_axes02_keep": { $0[0].sum(axes: [0, 2], keepDims: true) },
        "mean_all": { $0[0].mean() },
        "max_axis2": { $0[0].max(axis: 2) },
        "argmax_axis1": { $0[0].argmax(axis: 1).astype($0[0].dtype) },
        "logsumexp_axis1": { $0[0].logSumExp(axis: 1) },
        "softmax_last": { $0[0].softmax() },
        "log_softmax_axis0": { $0[0].logSoftmax(axis: 0) },
        "transpose_201": { $0[0].transposed([2, 0, 1]) },
        "broadcast_to": { $0[0].broadcast(to: [2, 3, 4]) },
        "slice_strided": { $0[0].slice(start: [1, -1], stop: [5, 0], step: [2, -2]) },
        "slice_negative_start": { $0[0].slice(start: [-3, 0], stop: [Int.max, Int.max], step: [1, 3]) },
        "concatenate_axis1": { Tensor.concatenate($0, axis: 1) },
        "take_axis0": { $0[0].take($0[1].astype(.int32), axis: 0) },
        "matmul_batched_broadcast": { Tensor.matmul($0[0], $0[1]) },
        "matmul_transpose_b": { Tensor.matmul($0[0], $0[1], transposeB: true) },
        "rms_norm": { $0[0].rmsNorm(weight: $0[1], eps: 1e-5) },
        "rope_traditional": { $0[0].rope(dims: 6, traditional: true, base: 100, offset: 3) },
        "rope_halves": { $0[0].rope(dims: 8, traditional: false, base: 10_000, offset: 7) },
        "attention_causal_gqa": { Tensor.attention(q: $0[0], k: $0[1], v: $0[2], causal: true) },
        "attention_full": { Tensor.attention(q: $0[0], k: $0[1], v: $0[2], causal: false) },
        "cross_entropy_masked": { Tensor.crossEntropy(logits: $0[0], targets: $0[1].astype(.int32), mask: $0[2] .> 0.5 ) },
        "astype_float16": { $0[0].astype(.float32).astype(.float16).astype($0[0].dtype) },
    ]

    func run(dtype: DType, tolerance: Double) {
        XCTAssertEqual(Set(Self.ops.keys), Set(Self.fixture.cases.map(\.name)), "every fixture case has an expression")
        for c in Self.fixture.cases {
            guard let op = Self.ops[c.name] else { continue }
            let inputs = c.inputs.map { a -> Tensor in
                dtype == .float64 ? Tensor(a.data, shape: a.shape) : Tensor(a.data.map { Float($0) }, shape: a.shape)
            }
            let out = op(inputs)
            XCTAssertEqual(out.shape, c.output.shape, "\(c.name): shape")
            let got = out.toArray(as: Double.self)
            for (i, (g, want)) in zip(got, c.output.data).enumerated()
            where Swift.abs(g - want) > tolerance * Swift.max(1, Swift.abs(want)) {
                XCTFail("\(c.name) [\(dtype)]: element \(i) is \(g), NumPy says \(want)")
                break
            }
        }
    }

    func testFloat64MatchesNumPy() { run(dtype: .float64, tolerance: 1e-12) }
    func testFloat32MatchesNumPy() { run(dtype: .float32, tolerance: 2e-5) }

    func testBFloat16RoundsToNearestEven() {
        // 1 + 2^-8 is halfway between two bfloat16 values: ties go to the even mantissa (1.0);
        // 1 + 3·2^-8 is halfway too and rounds up to 1 + 2^-6.
        let x = Tensor([Float(1 + 0x1.0p-8), Float(1 + 3 * 0x1.0p-8), -2.5, 0])
        XCTAssertEqual(x.astype(.bfloat16).astype(.float32).toArray(), [1, 1 + 0x1.0p-6, -2.5, 0])
    }
}
