import Graft
import XCTest

/// Products with a single row or column (routed to gemv) against sums written out term by
/// term, for every transpose combination, with batches (shared and per-batch right operands)
/// and strided (transposed/sliced) operands, in float64 and float32.
final class MatmulVectorTests: XCTestCase {
    /// `Σ_k A[b, i, k]·B[b, k, j]` from flat row-major arrays (batch 1 for a shared B).
    func naive(_ a: [Double], _ b: [Double], batch: Int, sharedB: Bool, m: Int, n: Int, k: Int) -> [Double] {
        var out = [Double](repeating: 0, count: batch * m * n)
        for p in 0..<batch {
            let bOffset = sharedB ? 0 : p * k * n
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for q in 0..<k { sum += a[p * m * k + i * k + q] * b[bOffset + q * n + j] }
                    out[p * m * n + i * n + j] = sum
                }
            }
        }
        return out
    }

    /// `x` written out in its own (row-major) layout, so a transposed view becomes transposed storage.
    func stored(_ x: Tensor) -> Tensor { x * Tensor.ones([], dtype: x.dtype) }

    func testSingleRowAndColumnProductsMatchNaiveSums() {
        for dtype in [DType.float64, .float32] {
            for (m, n, k) in [(1, 7, 5), (3, 1, 6), (1, 1, 9), (1, 1300, 33)] {
                for transposeA in [false, true] {
                    for transposeB in [false, true] {
                        for (batch, sharedB) in [(1, true), (2, true), (2, false)] {
                            let a = Tensor.normal([batch, m, k], key: RandomKey(seed: 1)).astype(dtype)
                            let b = Tensor.normal(sharedB ? [k, n] : [batch, k, n], key: RandomKey(seed: 2)).astype(dtype)
                            // Store the operands transposed when the product reads them transposed.
                            let aIn = transposeA ? stored(a.transposed([0, 2, 1])) : a
                            let bIn = transposeB ? stored(sharedB ? b.T : b.transposed([0, 2, 1])) : b
                            let got = Tensor.matmul(aIn, bIn, transposeA: transposeA, transposeB: transposeB)
                            XCTAssertEqual(got.shape, [batch, m, n])
                            let want = naive(a.astype(.float64).toArray(as: Double.self), b.astype(.float64).toArray(as: Double.self),
                                             batch: batch, sharedB: sharedB, m: m, n: n, k: k)
                            let values = got.astype(.float64).toArray(as: Double.self)
                            let err = zip(values, want).map { Swift.abs($0 - $1) }.max()!
                            XCTAssertLessThan(err, dtype == .float64 ? 1e-12 : 1e-4,
                                              "\(dtype) m \(m) n \(n) k \(k) tA \(transposeA) tB \(transposeB) batch \(batch) shared \(sharedB)")
                        }
                    }
                }
            }
        }
    }

    func testStridedSingleRowOperands() {
        // A row taken from a transposed matrix and a column slice with a step.
        let w = Tensor.normal([6, 8], key: RandomKey(seed: 3)).astype(.float64)
        let x = Tensor.normal([8, 4], key: RandomKey(seed: 4)).astype(.float64)
        let row = x.T.slice(start: [1, 0], stop: [2, 8], step: [1, 1])  // [1, 8]
        let got = Tensor.matmul(row, w, transposeB: true).toArray(as: Double.self)
        let r = x.toArray(as: Double.self), wv = w.toArray(as: Double.self)
        for j in 0..<6 {
            var sum = 0.0
            for q in 0..<8 { sum += r[q * 4 + 1] * wv[j * 8 + q] }
            XCTAssertEqual(got[j], sum, accuracy: 1e-12)
        }
    }
}
