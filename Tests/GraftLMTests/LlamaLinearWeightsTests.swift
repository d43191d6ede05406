import Foundation
import Graft
import GraftLM
import XCTest

/// `LinearWeights`: tree lookup, shapes, and the single-row inference path against the plain
/// product.
final class LlamaLinearWeightsTests: XCTestCase {
    func testInferencePathMatchesPlainProduct() throws {
        for (rows, columns) in [(2500, 40), (1024, 16), (1025, 8), (7, 5)] {
            let w = Tensor.normal([rows, columns], key: RandomKey(seed: UInt64(rows)))
            let b = Tensor.normal([rows], key: RandomKey(seed: 99))
            eval(w, b)
            let linear = LinearWeights(weight: w, bias: b)
            XCTAssertEqual(linear.shape, [rows, columns])
            let x = Tensor.normal([1, 1, columns], key: RandomKey(seed: 5))
            let expected = (Tensor.matmul(x, w, transposeB: true) + b).toArray(as: Float.self)
            let plain = linear.apply(x).toArray(as: Float.self)
            let fast = linear.apply(x, forInference: true)
            XCTAssertEqual(fast.shape, [1, 1, rows])
            XCTAssertEqual(plain, expected)
            XCTAssertLessThan(LlamaTestSupport.relativeError(fast.toArray(as: Float.self), expected), 1e-6, "\(rows)x\(columns)")
            // Several rows take the ordinary product even for inference.
            let xs = Tensor.normal([3, columns], key: RandomKey(seed: 6))
            XCTAssertEqual(linear.apply(xs, forInference: true).toArray(as: Float.self), linear.apply(xs).toArray(as: Float.self))
        }
    }

    func testTreeLookupErrorsNameThePath() throws {
        let tree = ParameterTree(flattened: [("layer.proj.weight", Tensor.zeros([4, 3])), ("layer.proj.bias", Tensor.zeros([3])),
                                             ("other.weight", Tensor.zeros([4, 3]))])
        XCTAssertThrowsError(try LinearWeights(tree, path: "layer.proj", source: "tree.bin")) { error in
            XCTAssertEqual(error as? ModelError, .shapeMismatch(file: "tree.bin", name: "layer.proj.bias", expected: [4], found: [3]))
        }
        XCTAssertThrowsError(try LinearWeights(tree, path: "missing", source: "tree.bin")) { error in
            XCTAssertEqual(error as? ModelError, .missingTensor(file: "tree.bin", name: "missing.weight"))
        }
        XCTAssertThrowsError(try LinearWeights(tree, path: "other", requireBias: true, source: "tree.bin")) { error in
            XCTAssertEqual(error as? ModelError, .missingTensor(file: "tree.bin", name: "other.bias"))
        }
        let other = try LinearWeights(tree, path: "other", source: "tree.bin")
        XCTAssertNil(other.bias)
        XCTAssertEqual(other.parameters.flattened().map(\.path), ["weight"])
    }
}
