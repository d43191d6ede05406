import Graft
import XCTest

/// Quantized matmul and lookup against the same computation on the dequantized matrix, whose
/// values are checked against a direct reading of the packing rule.
final class QuantizedTests: XCTestCase {
    func randomWeight(rows: Int, cols: Int, bits: Int, groupSize: Int, seed: UInt64) throws -> QuantizedWeight {
        try randomQuantizedWeight(rows: rows, cols: cols, bits: bits, groupSize: groupSize, seed: seed)
    }

    func testDequantizationFollowsThePackingRule() throws {
        for (bits, g) in [(4, 32), (8, 64), (4, 128)] {
            let w = try randomWeight(rows: 3, cols: 256, bits: bits, groupSize: g, seed: 1)
            let words: [UInt32] = w.packed.toArray(as: UInt32.self)
            let s = w.scales.toArray(), b = w.biases.toArray()
            let deq = w.dequantized().toArray()
            let perWord = 32 / bits
            for r in 0..<3 {
                for c in 0..<256 {
                    let word = words[r * (256 / perWord) + c / perWord]
                    let q = (word >> UInt32((c % perWord) * bits)) & UInt32((1 << bits) - 1)
                    let gi = r * (256 / g) + c / g
                    XCTAssertEqual(deq[r * 256 + c], s[gi] * Float(q) + b[gi], "bits \(bits) r \(r) c \(c)")
                }
            }
        }
    }

    func testMatmulMatchesDenseForDecodeAndPrefillShapes() throws {
        // 352 columns: an odd number of 32-weight units (the one- and two-row loops take units in pairs).
        // 1024 columns: rows too long for blocks of eight activation rows (blocks of four instead).
        for (bits, g, cols) in [(4, 32, 384), (4, 64, 384), (4, 128, 384), (8, 32, 384), (8, 64, 384), (8, 128, 384),
                                (4, 32, 352), (8, 32, 352), (4, 64, 1024), (8, 32, 1024)] {
            let w = try randomWeight(rows: 701, cols: cols, bits: bits, groupSize: g, seed: 2)
            let dense = w.dequantized()
            try forEachFewRowKernel { kernel in
                for m in [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 64] {
                    let x = Tensor.normal([m, cols], key: RandomKey(seed: UInt64(m)))
                    let got = Tensor.quantizedMatmul(x, w).toArray()
                    // Exact reference in float64; float32 accumulation in any order stays within
                    // ~1e-6 of the largest output.
                    let want = Tensor.matmul(x.astype(.float64), dense.astype(.float64), transposeB: true).toArray(as: Double.self)
                    let err = zip(got, want).map { Swift.abs(Double($0) - $1) }.max()!
                    let scale = want.map { Swift.abs($0) }.max()!
                    XCTAssertLessThan(err / scale, 2e-6, "\(kernel): bits \(bits) group \(g) cols \(cols) m \(m) (largest output \(scale))")
                }
            }
            let y = Tensor.normal([3, 701], key: RandomKey(seed: 9))
            let got = Tensor.quantizedMatmul(y, w, transposed: false).toArray()
            let want = Tensor.matmul(y.astype(.float64), dense.astype(.float64)).toArray(as: Double.self)
            let err = zip(got, want).map { Swift.abs(Double($0) - $1) }.max()!
            XCTAssertLessThan(err / want.map { Swift.abs($0) }.max()!, 2e-6, "x·W bits \(bits)")
        }
    }

    func testInputGradientMatchesDenseAndWeightsGetNone() throws {
        let w = try randomWeight(rows: 96, cols: 64, bits: 4, groupSize: 32, seed: 3)
        let dense = w.dequantized()
        eval(dense)
        let x = Tensor.normal([2, 5, 64], key: RandomKey(seed: 4))
        let weights = Tensor.normal([2, 5, 96], key: RandomKey(seed: 5))
        let (loss, gq) = valueAndGrad([x]) { (Tensor.quantizedMatmul($0[0], w) * weights).sum() }
        let (_, gd) = valueAndGrad([x]) { (Tensor.matmul($0[0], dense, transposeB: true) * weights).sum() }
        XCTAssertEqual(graphOperations([loss] + gq)["quantizedMatmul"], 2, "forward and the input gradient only")
        let err = zip(gq[0].toArray(), gd[0].toArray()).map { Swift.abs($0 - $1) }.max()!
        XCTAssertLessThan(err, 1e-4)
    }

    func testBadShapesAreRejected() {
        XCTAssertThrowsError(try QuantizedWeight(packed: Tensor([UInt32](repeating: 0, count: 8), shape: [2, 4]),
                                                 scales: Tensor.zeros([2, 2]), biases: Tensor.zeros([2, 1]),
                                                 bits: 4, groupSize: 32))
        // Scales and biases must share one dtype, float32 or float16.
        XCTAssertThrowsError(try QuantizedWeight(packed: Tensor([UInt32](repeating: 0, count: 8), shape: [2, 4]),
                                                 scales: Tensor.zeros([2, 1]).astype(.float16), biases: Tensor.zeros([2, 1]),
                                                 bits: 4, groupSize: 32)) { XCTAssertTrue("\($0)".contains("the same for both"), "\($0)") }
        XCTAssertThrowsError(try QuantizedWeight(packed: Tensor([UInt32](repeating: 0, count: 8), shape: [2, 4]),
                                                 scales: Tensor.zeros([2, 1], dtype: .float64), biases: Tensor.zeros([2, 1], dtype: .float64),
                                                 bits: 4, groupSize: 32))
        XCTAssertThrowsError(try checked { () -> Tensor in
            let w = try randomWeight(rows: 4, cols: 64, bits: 4, groupSize: 32, seed: 1)
            return Tensor.quantizedMatmul(Tensor.ones([2, 63]), w)
        }) { XCTAssertTrue("\($0)".contains("[2, 63]"), "\($0)") }
    }
}
