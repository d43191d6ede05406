import Graft
import XCTest

/// The two core pieces of the preallocated KV cache: `cacheWrite` (in-place writes at per-row
/// positions) and attention over the first `keyLengths` positions of longer storage.
final class CachedAttentionTests: XCTestCase {
    var rng = TestRNG(11)

    func random(_ shape: [Int]) -> Tensor { Tensor(rng.values(shape.reduce(1, *)), shape: shape) }

    /// Row b of attention with key lengths equals plain attention on that row's first
    /// `keyLengths[b]` keys and values; storage past the lengths (NaN here) is never read.
    func testKeyLengthsMatchAttentionOnTheValidKeys() {
        let (b, hq, hkv, t, s, d, dv) = (3, 4, 2, 2, 7, 8, 5)
        let lengths = [2, 7, 4]
        let q = random([b, hq, t, d])
        var kValues = rng.values(b * hkv * s * d), vValues = rng.values(b * hkv * s * dv)
        for row in 0..<b {
            for head in 0..<hkv {
                for position in lengths[row]..<s {
                    for i in 0..<d { kValues[((row * hkv + head) * s + position) * d + i] = .nan }
                    for i in 0..<dv { vValues[((row * hkv + head) * s + position) * dv + i] = .nan }
                }
            }
        }
        let k = Tensor(kValues, shape: [b, hkv, s, d]), v = Tensor(vValues, shape: [b, hkv, s, dv])
        for causal in [true, false] {
            let out = Tensor.attention(q: q, k: k, v: v, causal: causal, keyLengths: lengths)
            XCTAssertEqual(out.shape, [b, hq, t, dv])
            for row in 0..<b {
                let n = lengths[row]
                let expected = Tensor.attention(q: q.slice(axis: 0, row..<(row + 1)),
                                                k: k.slice(axis: 0, row..<(row + 1)).slice(axis: 2, 0..<n),
                                                v: v.slice(axis: 0, row..<(row + 1)).slice(axis: 2, 0..<n), causal: causal)
                let got = out.slice(axis: 0, row..<(row + 1)).toArray(as: Double.self)
                let want = expected.toArray(as: Double.self)
                XCTAssertTrue(got.allSatisfy(\.isFinite), "causal \(causal) row \(row): read past its length")
                for (x, y) in zip(got, want) { XCTAssertEqual(x, y, accuracy: 1e-12, "causal \(causal) row \(row)") }
            }
        }
    }

    /// Gradients through attention with key lengths (the composite with a per-row mask)
    /// against finite differences.
    func testKeyLengthGradientsMatchFiniteDifferences() {
        for causal in [true, false] {
            let inputs = [[2, 4, 2, 4], [2, 2, 5, 4], [2, 2, 5, 3]].map { (shape: $0, values: rng.values($0.reduce(1, *))) }
            checkGradients("attention keyLengths causal=\(causal)", inputs: inputs) {
                Tensor.attention(q: $0[0], k: $0[1], v: $0[2], causal: causal, keyLengths: [3, 5])
            }
        }
    }

    func testBadKeyLengthsAreRefused() {
        let q = Tensor.ones([2, 2, 3, 4]), k = Tensor.ones([2, 1, 6, 4])
        for lengths in [[3], [2, 4], [3, 7], [0, 6]] {
            XCTAssertThrowsError(try checked { Tensor.attention(q: q, k: k, v: k, keyLengths: lengths) }) { error in
                XCTAssertTrue("\(error)".contains("\(lengths)"), "\(error)")
            }
        }
        XCTAssertNoThrow(try checked { Tensor.attention(q: q, k: k, v: k, causal: false, keyLengths: [1, 6]) })
    }

    /// Writes land at each row's position, the rest of the storage is kept, and a write over an
    /// evaluated storage updates it in place (a second write sees the first).
    func testCacheWriteUpdatesRowsAtTheirPositions() {
        let (b, h, c, d) = (2, 3, 6, 2)
        let base = (0..<(b * h * c * d)).map { Float($0) }
        let storage = Tensor(base, shape: [b, h, c, d])
        let update = Tensor((0..<(b * h * 2 * d)).map { Float(-1 - $0) }, shape: [b, h, 2, d])
        let written = storage.cacheWrite(update, at: [1, 4])
        eval(written)
        var expected = base
        let u = update.toArray(as: Float.self)
        for row in 0..<b {
            for head in 0..<h {
                for t in 0..<2 {
                    for i in 0..<d {
                        expected[((row * h + head) * c + [1, 4][row] + t) * d + i] = u[((row * h + head) * 2 + t) * d + i]
                    }
                }
            }
        }
        XCTAssertEqual(written.toArray(as: Float.self), expected)
        let again = written.cacheWrite(Tensor.zeros([b, h, 1, d]), at: [0, 5])
        let values = again.toArray(as: Float.self)
        for row in 0..<b {
            for head in 0..<h {
                for position in 0..<c {
                    let zeroed = position == [0, 5][row]
                    for i in 0..<d {
                        let index = ((row * h + head) * c + position) * d + i
                        XCTAssertEqual(values[index], zeroed ? 0 : expected[index], "row \(row) head \(head) position \(position)")
                    }
                }
            }
        }
    }

    func testBadCacheWritesAreRefused() {
        let storage = Tensor.zeros([2, 1, 4, 3])
        for (update, positions) in [(Tensor.zeros([2, 1, 2, 3]), [0, 3]), (Tensor.zeros([2, 1, 1, 3]), [0]),
                                    (Tensor.zeros([2, 1, 1, 2]), [0, 0]), (Tensor.zeros([2, 1, 1, 3]), [-1, 0])] {
            XCTAssertThrowsError(try checked { storage.cacheWrite(update, at: positions) }) { error in
                XCTAssertTrue("\(error)".contains("cacheWrite") && "\(error)".contains("\(positions)"), "\(error)")
            }
        }
    }
}
