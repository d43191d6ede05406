import Graft
import XCTest

/// Quantized products with 8-bit activations (`ActivationPrecision.int8`) against a reference
/// computed here in double precision from the rule: each activation row rounded per 32 values
/// to `q = round(x·127 / max|x|)` (ties to even), `d = max|x| / 127`, and
/// `out[i, n] = Σ_j w[n, j]·d[i, j/32]·q[i, j]`: the weights times the rounded activations.
final class Int8ActivationTests: XCTestCase {
    /// The rule's result for `x [m, cols]` (row-major) and `w`.
    func reference(_ x: [Float], m: Int, _ w: QuantizedWeight) -> [Double] {
        let words = w.packed.toArray(as: UInt32.self), scales = w.scales.astype(.float32).toArray(as: Float.self)
        let biases = w.biases.astype(.float32).toArray(as: Float.self)
        let cols = w.cols, groups = cols / w.groupSize, perWord = 32 / w.bits, wordsPerRow = cols / perWord
        var out = [Double](repeating: 0, count: m * w.rows)
        for i in 0..<m {
            let row = Array(x[(i * cols)..<((i + 1) * cols)])
            var q = [Double](repeating: 0, count: cols), d = [Double](repeating: 0, count: cols / 32)
            for u in 0..<(cols / 32) {
                let amax = row[(u * 32)..<(u * 32 + 32)].map { abs($0) }.max()!
                d[u] = Double(amax / 127)
                let inverse = amax > 0 ? 127 / amax : 0
                for k in 0..<32 { q[u * 32 + k] = Double((row[u * 32 + k] * inverse).rounded(.toNearestOrEven)) }
            }
            for n in 0..<w.rows {
                var total = 0.0
                for u in 0..<(cols / 32) {
                    var dot = 0.0
                    for k in 0..<32 {
                        let j = u * 32 + k, word: UInt32 = words[n * wordsPerRow + j / perWord]
                        let mask: UInt32 = w.bits == 4 ? 0xF : 0xFF
                        let value: UInt32 = (word >> UInt32((j % perWord) * w.bits)) & mask
                        dot += Double(value) * q[j]
                    }
                    total += Double(scales[n * groups + u * 32 / w.groupSize]) * d[u] * dot
                }
                for g in 0..<groups {
                    var sum = 0.0
                    for j in (g * w.groupSize)..<((g + 1) * w.groupSize) { sum += d[j / 32] * q[j] }
                    total += Double(biases[n * groups + g]) * sum
                }
                out[i * w.rows + n] = total
            }
        }
        return out
    }

    /// Every bit width and group size, row lengths with a partial last chunk (320, 576) and
    /// without (1536 at 4 bits, 128 at 8), 1 to 8 activation rows (blocks of 8, 4, 2, 1; 11
    /// rows take the float32 GEMM path),
    /// 37 weight rows (two blocks of 16 interleaved rows and a partial one), float32 and float16
    /// factors.
    func testProductsFollowTheRule() throws {
        try XCTSkipUnless(ActivationPrecision.int8Available, "no AVX-512 VNNI on this CPU (the kernel reads float32 there)")
        var seed: UInt64 = 1
        for (bits, groupSize, cols) in [(4, 32, 576), (4, 64, 320), (4, 128, 1536), (8, 32, 576), (8, 64, 128), (8, 128, 384)] {
            for m in [1, 2, 3, 5, 8, 11] {
                seed += 1
                var w = try randomQuantizedWeight(rows: 37, cols: cols, bits: bits, groupSize: groupSize, seed: seed)
                if m == 3 {
                    // Float16 factors, as GGUF's blocks give them.
                    w = try QuantizedWeight(packed: w.packed, scales: w.scales.astype(.float16), biases: w.biases.astype(.float16),
                                            bits: bits, groupSize: groupSize)
                }
                let x = Tensor.normal([m, cols], key: RandomKey(seed: seed)) * 2
                let expected = reference(x.toArray(as: Float.self), m: m, w)
                let got = Tensor.quantizedMatmul(x, w, activations: .int8).toArray(as: Float.self)
                let exact = Tensor.quantizedMatmul(x, w).toArray(as: Float.self)
                if m > 8 {
                    // More rows take the GEMM path, which reads float32.
                    XCTAssertEqual(got, exact, "\(bits) bits, \(m) rows")
                    continue
                }
                let scale = expected.map { abs($0) }.max()!
                var worst = 0.0, drift = 0.0
                for k in expected.indices {
                    worst = max(worst, abs(Double(got[k]) - expected[k]))
                    drift = max(drift, abs(Double(got[k]) - Double(exact[k])))
                }
                XCTAssertLessThan(worst / scale, 2e-6, "\(bits) bits, groups of \(groupSize), \(cols) columns, \(m) rows")
                // Against float32 activations: the rounding shows, but stays small.
                XCTAssertLessThan(drift / scale, 0.02, "\(bits) bits, groups of \(groupSize), \(cols) columns, \(m) rows")
                XCTAssertGreaterThan(drift, 0, "the 8-bit path must differ from the float one")
            }
        }
    }

    /// Each weight is read through its own interleaved copy: weights made one after another,
    /// and the same packed words paired with other scales and biases, each give their own product.
    func testEachWeightUsesItsOwnCopy() throws {
        try XCTSkipUnless(ActivationPrecision.int8Available, "no AVX-512 VNNI on this CPU")
        let x = Tensor.normal([2, 64], key: RandomKey(seed: 9))
        let values = x.toArray(as: Float.self)
        let other = try randomQuantizedWeight(rows: 24, cols: 64, bits: 4, groupSize: 32, seed: 100)
        for seed in 0..<6 as Range<UInt64> {
            let w = try randomQuantizedWeight(rows: 24, cols: 64, bits: 4, groupSize: 32, seed: 200 + seed)
            let refactored = try QuantizedWeight(packed: w.packed, scales: other.scales, biases: other.biases, bits: 4, groupSize: 32)
            for (label, weight) in [("own factors", w), ("other factors", refactored), ("own factors again", w)] {
                let expected = reference(values, m: 2, weight), scale = expected.map { abs($0) }.max()!
                let got = Tensor.quantizedMatmul(x, weight, activations: .int8).toArray(as: Float.self)
                for (g, e) in zip(got, expected) { XCTAssertEqual(Double(g), e, accuracy: 2e-6 * scale, "weight \(seed), \(label)") }
            }
        }
    }

    /// A fused low-rank term rides on the 8-bit products unchanged: the result is the 8-bit base
    /// plus the float32 term.
    func testLowRankTermAddsToTheRoundedProduct() throws {
        try XCTSkipUnless(ActivationPrecision.int8Available, "no AVX-512 VNNI on this CPU")
        let w = try randomQuantizedWeight(rows: 40, cols: 576, bits: 4, groupSize: 32, seed: 7)
        let term = try LowRankTerm(a: Tensor.normal([4, 576], key: RandomKey(seed: 1)) * 0.1,
                                   b: Tensor.normal([40, 4], key: RandomKey(seed: 2)) * 0.1, scale: 2)
        let x = Tensor.normal([3, 576], key: RandomKey(seed: 3))
        let got = Tensor.quantizedMatmul(x, w, lowRank: term, activations: .int8).toArray(as: Float.self)
        let base = Tensor.quantizedMatmul(x, w, activations: .int8)
        let expected = (base + Tensor.matmul(Tensor.matmul(x, term.a, transposeB: true), term.b, transposeB: true) * 2)
            .toArray(as: Float.self)
        for (g, e) in zip(got, expected) { XCTAssertEqual(g, e, accuracy: 1e-4 * max(1, abs(e))) }
    }
}
