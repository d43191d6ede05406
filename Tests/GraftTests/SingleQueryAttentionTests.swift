import Graft
import XCTest

/// Attention with one query per row and head (decoding) takes a float32 path of its own (SIMD
/// dot products instead of OpenBLAS calls): it must agree with the general float64 path.
final class SingleQueryAttentionTests: XCTestCase {
    func testSingleQueryMatchesTheFloat64Path() {
        var rng = TestRNG(41)
        // d and dv off the 8- and 16-lane steps, so the loops' tails run; 6 query heads on 2 KV heads.
        for (d, dv) in [(20, 13), (64, 64)] {
            let (b, hq, hkv, s) = (3, 6, 2, 37)
            let q = Tensor(rng.values(b * hq * d).map { Float($0) }, shape: [b, hq, 1, d])
            let k = Tensor(rng.values(b * hkv * s * d).map { Float($0) }, shape: [b, hkv, s, d])
            let v = Tensor(rng.values(b * hkv * s * dv).map { Float($0) }, shape: [b, hkv, s, dv])
            for keyLengths in [nil, [5, 37, 1]] as [[Int]?] {
                for causal in [true, false] {
                    let got = Tensor.attention(q: q, k: k, v: v, causal: causal, keyLengths: keyLengths)
                    let want = Tensor.attention(q: q.astype(.float64), k: k.astype(.float64), v: v.astype(.float64),
                                                causal: causal, keyLengths: keyLengths)
                    XCTAssertEqual(got.shape, [b, hq, 1, dv])
                    let label = "d \(d) dv \(dv) lengths \(String(describing: keyLengths)) causal \(causal)"
                    for (x, y) in zip(got.toArray(as: Double.self), want.toArray(as: Double.self)) {
                        XCTAssertEqual(x, y, accuracy: 2e-6 * Swift.max(1, Swift.abs(y)), label)
                    }
                }
            }
        }
    }

    /// float16 keys and values under float32 queries (a float16 KV cache), one query and three
    /// (the widened GEMM path): the float64 result on the same float16 values.
    func testFloat16KeysAndValuesMatchTheirFloat64Values() {
        var rng = TestRNG(43)
        for (d, dv, t) in [(20, 13, 1), (64, 64, 1), (64, 64, 3)] {
            let (b, hq, hkv, s) = (2, 6, 2, 29)
            let q = Tensor(rng.values(b * hq * t * d).map { Float($0) }, shape: [b, hq, t, d])
            let k = Tensor(rng.values(b * hkv * s * d).map { Float($0) }, shape: [b, hkv, s, d]).astype(.float16)
            let v = Tensor(rng.values(b * hkv * s * dv).map { Float($0) }, shape: [b, hkv, s, dv]).astype(.float16)
            for keyLengths in [nil, [5, 29]] as [[Int]?] {
                let got = Tensor.attention(q: q, k: k, v: v, causal: true, keyLengths: keyLengths)
                let want = Tensor.attention(q: q.astype(.float64), k: k.astype(.float64), v: v.astype(.float64),
                                            causal: true, keyLengths: keyLengths)
                XCTAssertEqual(got.dtype, .float32)
                let label = "d \(d) dv \(dv) t \(t) lengths \(String(describing: keyLengths))"
                for (x, y) in zip(got.toArray(as: Double.self), want.toArray(as: Double.self)) {
                    XCTAssertEqual(x, y, accuracy: 2e-6 * Swift.max(1, Swift.abs(y)), label)
                }
            }
        }
        // float16 keys need float32 queries, and the same type for values.
        let q = Tensor.zeros([1, 1, 1, 8], dtype: .float64), k = Tensor.zeros([1, 1, 2, 8], dtype: .float16)
        XCTAssertThrowsError(try checked { Tensor.attention(q: q, k: k, v: k) }) { XCTAssertTrue("\($0)".contains("float16"), "\($0)") }
        XCTAssertThrowsError(try checked { Tensor.attention(q: q.astype(.float32), k: k, v: k.astype(.float32)) })
    }
}
