import Foundation
import Graft
import GraftLM
import XCTest

/// `LinearWeights`: tree lookup, shapes, and products of one and several rows (one row takes
/// OpenBLAS's gemv) against the float64 product.
final class LlamaLinearWeightsTests: XCTestCase {
    func testSingleAndSeveralRowProductsMatchFloat64() throws {
        for (rows, columns) in [(2500, 40), (1024, 16), (1025, 8), (7, 5)] {
            let w = Tensor.normal([rows, columns], key: RandomKey(seed: UInt64(rows)))
            let b = Tensor.normal([rows], key: RandomKey(seed: 99))
            eval(w, b)
            let linear = LinearWeights(weight: w, bias: b)
            XCTAssertEqual(linear.shape, [rows, columns])
            for m in [1, 3] {
                let x = Tensor.normal([1, m, columns], key: RandomKey(seed: UInt64(5 + m)))
                let expected = (Tensor.matmul(x.astype(.float64), w.astype(.float64), transposeB: true) + b.astype(.float64))
                    .toArray(as: Double.self).map { Float($0) }
                let y = linear.apply(x)
                XCTAssertEqual(y.shape, [1, m, rows])
                XCTAssertLessThan(LlamaTestSupport.relativeError(y.toArray(as: Float.self), expected), 1e-6, "\(rows)x\(columns) m \(m)")
            }
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
