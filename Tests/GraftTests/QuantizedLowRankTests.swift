import Graft
import XCTest

/// `quantizedMatmul(x, w, lowRank:)` (a LoRA/DoRA term inside the quantized kernel) against the
/// same sum computed in float64 from the dequantized weight with plain matmuls.
final class QuantizedLowRankTests: XCTestCase {
    /// A term whose product is of the order of the base output (trained adapters are not small).
    func term(rows: Int, cols: Int, rank: Int, scale: Double, withFactor: Bool, seed: UInt64) throws -> LowRankTerm {
        var rng = TestRNG(seed)
        let bound = 1 / Double(cols).squareRoot()
        let a = Tensor(rng.values(rank * cols, -bound, bound).map { Float($0) }, shape: [rank, cols])
        let b = Tensor(rng.values(rows * rank, -0.5, 0.5).map { Float($0) }, shape: [rows, rank])
        let f = withFactor ? Tensor(rng.values(rows, 0.5, 1.5).map { Float($0) }, shape: [rows]) : nil
        return try LowRankTerm(a: a, b: b, scale: scale, rowFactor: f)
    }

    /// `(x·Wᵀ + scale·(x·Aᵀ)·Bᵀ) ⊙ f` with plain ops on `W` dequantized, in `dtype`.
    func composed(_ x: Tensor, _ w: QuantizedWeight, _ t: LowRankTerm, _ dtype: DType = .float64) -> Tensor {
        let (a, b) = (t.a.astype(dtype), t.b.astype(dtype))
        let y = Tensor.matmul(x.astype(dtype), w.dequantized().astype(dtype), transposeB: true)
            + Tensor.matmul(Tensor.matmul(x.astype(dtype), a, transposeB: true), b, transposeB: true) * Double(t.scale)
        return t.rowFactor.map { y * $0.astype(dtype) } ?? y
    }

    func maxRelative(_ got: [Float], _ want: [Double]) -> Double {
        let err = zip(got, want).map { Swift.abs(Double($0) - $1) }.max()!
        return err / want.map { Swift.abs($0) }.max()!
    }

    func testMatchesFloat64ReferenceForDecodeAndPrefillShapes() throws {
        let cols = 256
        for (bits, group) in [(4, 32), (4, 64), (8, 32), (8, 128)] {
            // 203 rows: the last panel of B is partly padding, and two threads' chunks
            // (0..<101, 101..<203) split a panel between them.
            let rows = group == 64 ? 203 : 200
            let w = try randomQuantizedWeight(rows: rows, cols: cols, bits: bits, groupSize: group, seed: UInt64(bits * 1000 + group))
            for (rank, withFactor) in [(8, false), (5, true), (20, false), (16, true)] {
                let t = try term(rows: rows, cols: cols, rank: rank, scale: 2, withFactor: withFactor, seed: UInt64(rank))
                try forEachFewRowKernel { kernel in
                    for m in Array(1...9) + [64] {
                        let x = Tensor.normal([m, cols], key: RandomKey(seed: UInt64(m)))
                        let got = Tensor.quantizedMatmul(x, w, lowRank: t).toArray()
                        let want = composed(x, w, t).toArray(as: Double.self)
                        let label = "\(kernel): bits \(bits) group \(group) rank \(rank) factor \(withFactor) m \(m)"
                        XCTAssertLessThan(maxRelative(got, want), 4e-6, label)
                        // The term matters: without it the output is far off.
                        XCTAssertGreaterThan(maxRelative(Tensor.quantizedMatmul(x, w).toArray(), want), 1e-3, label)
                    }
                }
            }
        }
    }

    func testLeadingAxesAndOneNodeInTheGraph() throws {
        let w = try randomQuantizedWeight(rows: 96, cols: 128, bits: 4, groupSize: 32, seed: 11)
        let t = try term(rows: 96, cols: 128, rank: 4, scale: 0.5, withFactor: true, seed: 12)
        for shape in [[1, 1, 128], [2, 3, 128], [3, 7, 128]] {
            let x = Tensor.normal(shape, key: RandomKey(seed: 13))
            eval(x)
            let y = Tensor.quantizedMatmul(x, w, lowRank: t)
            XCTAssertEqual(y.shape, Array(shape.dropLast()) + [96])
            // The term (and its copy of B in panels) was evaluated when built; the node holds it.
            XCTAssertEqual(graphOperations([y]), ["quantizedLowRankMatmul": 1], "one node, leaves aside")
            XCTAssertEqual(y.node.inputs.count, 4, "x and the packed weight's three tensors; the term is not an input")
            XCTAssertLessThan(maxRelative(y.toArray(), composed(x, w, t).toArray(as: Double.self)), 4e-6, "\(shape)")
        }
    }

    /// The gradient in x against the composed float64 computation's (whose ops are checked
    /// against finite differences in GradientTests); the term is frozen.
    func testGradientInXMatchesTheComposedComputation() throws {
        for (bits, withFactor) in [(4, true), (8, false)] {
            let w = try randomQuantizedWeight(rows: 48, cols: 64, bits: bits, groupSize: 32, seed: 21)
            let t = try term(rows: 48, cols: 64, rank: 3, scale: 1.5, withFactor: withFactor, seed: 22)
            let x = Tensor.normal([2, 5, 64], key: RandomKey(seed: 23))
            let weights = Tensor.normal([2, 5, 48], key: RandomKey(seed: 24))
            let (_, got) = valueAndGrad([x]) { (Tensor.quantizedMatmul($0[0], w, lowRank: t) * weights).sum() }
            let (_, want) = valueAndGrad([x.astype(.float64)]) { (self.composed($0[0], w, t) * weights.astype(.float64)).sum() }
            XCTAssertEqual(got[0].shape, x.shape)
            XCTAssertLessThan(maxRelative(got[0].toArray(), want[0].toArray(as: Double.self)), 2e-5, "bits \(bits): dx")
        }
    }

    func testBadTermsAndShapesAreRejected() throws {
        let a = Tensor.zeros([4, 64]), b = Tensor.zeros([32, 4])
        XCTAssertThrowsError(try LowRankTerm(a: a, b: Tensor.zeros([32, 3]), scale: 1)) {
            XCTAssertTrue("\($0)".contains("[32, 3]"), "\($0)")
        }
        XCTAssertThrowsError(try LowRankTerm(a: a.astype(.float64), b: b, scale: 1))
        XCTAssertThrowsError(try LowRankTerm(a: a, b: b, scale: 1, rowFactor: Tensor.ones([31]))) {
            XCTAssertTrue("\($0)".contains("[31]"), "\($0)")
        }
        XCTAssertThrowsError(try LowRankTerm(a: a, b: b, scale: .nan))
        let w = try randomQuantizedWeight(rows: 32, cols: 128, bits: 4, groupSize: 32, seed: 31)
        let misfit = try LowRankTerm(a: a, b: b, scale: 1)
        XCTAssertThrowsError(try checked { Tensor.quantizedMatmul(Tensor.ones([2, 128]), w, lowRank: misfit) }) {
            XCTAssertTrue("\($0)".contains("[4, 64]"), "\($0)")
        }
        let fits = try LowRankTerm(a: Tensor.zeros([4, 128]), b: b, scale: 1)
        XCTAssertThrowsError(try checked { Tensor.quantizedMatmul(Tensor.ones([2, 64]), w, lowRank: fits) }) {
            XCTAssertTrue("\($0)".contains("[2, 64]"), "\($0)")
        }
    }
}
