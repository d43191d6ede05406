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
}
