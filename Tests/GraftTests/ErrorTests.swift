import Graft
import XCTest

/// Bad input raises an error naming the operation and the shapes involved.
final class ErrorTests: XCTestCase {
    func assertFails(_ op: String, mentioning parts: [String], file: StaticString = #filePath, line: UInt = #line,
                     _ body: () -> Tensor) {
        do {
            _ = try checked { body() }
            XCTFail("\(op): expected an error", file: file, line: line)
        } catch let e as GraftError {
            XCTAssertEqual(e.op, op, "\(e)", file: file, line: line)
            for p in parts { XCTAssertTrue(e.description.contains(p), "'\(e)' should mention \(p)", file: file, line: line) }
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }

    func testShapeAndDtypeMismatches() {
        assertFails("add", mentioning: ["[2, 3]", "[4]"]) { Tensor.ones([2, 3]) + Tensor.ones([4]) }
        assertFails("mul", mentioning: ["float32", "float64"]) { Tensor.ones([2]) * Tensor.ones([2], dtype: .float64) }
        assertFails("matmul", mentioning: ["[2, 3]", "[4, 5]"]) { Tensor.matmul(Tensor.ones([2, 3]), Tensor.ones([4, 5])) }
        assertFails("reshape", mentioning: ["[2, 3]", "[4]"]) { Tensor.ones([2, 3]).reshaped([4]) }
        assertFails("exp", mentioning: ["int32"]) { Tensor.arange(0, 4).exp() }
        assertFails("concatenate", mentioning: ["[2, 3]", "[3, 3]"]) {
            Tensor.concatenate([Tensor.ones([2, 3]), Tensor.ones([3, 3])], axis: 1)
        }
        assertFails("attention", mentioning: ["[1, 3, 2, 4]"]) {
            Tensor.attention(q: Tensor.ones([1, 3, 2, 4]), k: Tensor.ones([1, 2, 2, 4]), v: Tensor.ones([1, 2, 2, 4]))
        }
        assertFails("crossEntropy", mentioning: ["[4, 5]", "[3]"]) {
            Tensor.crossEntropy(logits: Tensor.ones([4, 5]), targets: Tensor([Int32(0), 1, 2]))
        }
    }

    func testAxesOutOfRange() {
        assertFails("sum", mentioning: ["[2, 3]"]) { Tensor.ones([2, 3]).sum(axis: 2) }
        assertFails("softmax", mentioning: ["[2, 3]"]) { Tensor.ones([2, 3]).softmax(axis: -3) }
        assertFails("take", mentioning: ["[2, 3]"]) { Tensor.ones([2, 3]).take(Tensor([Int32(0)]), axis: 5) }
        assertFails("transpose", mentioning: ["[0, 0]"]) { Tensor.ones([2, 3]).transposed([0, 0]) }
        assertFails("slice", mentioning: ["0..<5"]) { Tensor.ones([2, 3]).slice(axis: 1, 0..<5) }
    }

    func testGradOfNonScalarFails() {
        let x = Tensor([1.0, 2.0])
        XCTAssertThrowsError(try checked { valueAndGrad([x]) { $0[0] * 2 }.grads[0] }) { error in
            XCTAssertTrue("\(error)".contains("scalar"), "\(error)")
            XCTAssertTrue("\(error)".contains("[2]"), "\(error)")
        }
    }

    func testEvalInsideCheckedSkipsWorkAfterAnError() throws {
        XCTAssertThrowsError(try checked { () -> Double in
            let bad = Tensor.ones([2]) + Tensor.ones([3])
            eval(bad)  // must not run the poisoned node
            return 0
        })
        // And a correct block returns its value.
        XCTAssertEqual(try checked { (Tensor.ones([2]) * 3).sum().item() }, 6)
    }
}
