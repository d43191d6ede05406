import Foundation
import GraftIO
import XCTest

/// `AffineQuantizer` and `AffineQuantizedMatrix` against MLX 0.32.4 (CPU) `mx.quantize` /
/// `mx.dequantize` outputs in Fixtures/gguf/mlx_affine.gguf, plus properties of the format.
final class GGUFAffineQuantizerTests: XCTestCase {
    private func reference() throws -> GGUFFile {
        try GGUFFile(path: GGUFTestSupport.fixturePath("mlx_affine.gguf"))
    }

    func testQuantizeMatchesMLXBitForBit() throws {
        let ref = try reference()
        let input = try GGUFTestSupport.referenceFloats(ref, "input")
        let shape = try ref.requireTensor("input").shape
        XCTAssertEqual(shape, [10, 256])
        var combinations = 0
        for bits in [2, 4, 8] {
            for group in [32, 64, 128] {
                let tag = "b\(bits)g\(group)"
                let q = try AffineQuantizer.quantize(input, rows: shape[0], cols: shape[1], bits: bits, groupSize: group)
                XCTAssertEqual(q.packed, try GGUFTestSupport.referenceWords(ref, "\(tag).packed"), tag)
                GGUFTestSupport.assertBitIdentical(q.scales, try GGUFTestSupport.referenceFloats(ref, "\(tag).scales"), "\(tag) scales")
                GGUFTestSupport.assertBitIdentical(q.biases, try GGUFTestSupport.referenceFloats(ref, "\(tag).biases"), "\(tag) biases")
                let expected = try GGUFTestSupport.referenceFloats(ref, "\(tag).dequantized")
                GGUFTestSupport.assertEqualValues(q.dequantize(), expected, "\(tag) dequantized")
                GGUFTestSupport.assertEqualValues(q.dequantizeRow(7), Array(expected[7 * 256 ..< 8 * 256]), "\(tag) row 7")
                combinations += 1
            }
        }
        XCTAssertEqual(combinations, 9)
    }

    /// Data already on a 4-bit grid (`bias + scale·q` with exact values) is reproduced exactly.
    func testOnGridDataRoundTripsExactly() throws {
        let rows = 3, cols = 64
        var values = [Float](repeating: 0, count: rows * cols)
        for r in 0 ..< rows {
            for c in 0 ..< cols {
                // Each group of 32 spans all 16 levels: base −1 (or +1 mirrored) with step 0.125.
                let q = Float((c * 7 + r) % 16)
                values[r * cols + c] = r == 1 ? 1 - 0.125 * q : -1 + 0.125 * q
            }
        }
        let q = try AffineQuantizer.quantize(values, rows: rows, cols: cols, bits: 4, groupSize: 32)
        XCTAssertEqual(q.dequantize(), values)
        // Re-quantizing the dequantized matrix is a fixed point.
        XCTAssertEqual(try AffineQuantizer.quantize(q.dequantize(), rows: rows, cols: cols, bits: 4, groupSize: 32), q)
    }

    /// Every element is within one step |scale| (half a step from rounding, at most one at the
    /// clamped far end because MLX snaps the scale so that the edge is exact).
    func testErrorBoundOnRandomData() throws {
        var generator = SystemRandomNumberGenerator()
        let rows = 16, cols = 256
        let values = (0 ..< rows * cols).map { _ in Float.random(in: -2 ... 3, using: &generator) }
        for bits in [2, 4, 8] {
            for group in [32, 64, 128] {
                let q = try AffineQuantizer.quantize(values, rows: rows, cols: cols, bits: bits, groupSize: group)
                let back = q.dequantize()
                for i in 0 ..< values.count {
                    let step = abs(q.scales[i / group])
                    XCTAssertLessThanOrEqual(abs(back[i] - values[i]), step * 1.0001, "b\(bits) g\(group) [\(i)]")
                    XCTAssertEqual(q.quantizedValue(row: i / cols, column: i % cols) < (1 << bits), true)
                }
                // The edge of each group (the larger-magnitude extreme) is reproduced exactly.
                for g in 0 ..< rows * cols / group {
                    let slice = values[g * group ..< (g + 1) * group]
                    let edge = abs(slice.min()!) > abs(slice.max()!) ? slice.min()! : slice.max()!
                    XCTAssertTrue(back[g * group ..< (g + 1) * group].contains(edge), "group \(g) edge \(edge)")
                }
            }
        }
    }

    func testPackingIsLowestBitsFirst() throws {
        // Hand-built 4-bit matrix: element k of the row has q = k % 16, scale 1, bias 0.
        let words: [UInt32] = [0x7654_3210, 0xFEDC_BA98, 0x7654_3210, 0xFEDC_BA98]
        let m = try AffineQuantizedMatrix(rows: 1, cols: 32, bits: 4, groupSize: 32, packed: words, scales: [1], biases: [0])
        XCTAssertEqual(m.dequantizeRow(0), (0 ..< 32).map { Float($0 % 16) })
        XCTAssertEqual(m.quantizedValue(row: 0, column: 9), 9)
        var words8 = [UInt32]()
        for w in 0 ..< 8 {
            var word: UInt32 = 0
            for k in 0 ..< 4 { word |= UInt32(4 * w + k) << UInt32(8 * k) }
            words8.append(word)
        }
        let m8 = try AffineQuantizedMatrix(rows: 1, cols: 32, bits: 8, groupSize: 32, packed: words8, scales: [0.5], biases: [-1])
        XCTAssertEqual(m8.dequantize(), (0 ..< 32).map { 0.5 * Float($0) - 1 })
    }

    func testInvalidParametersAreRejected() {
        XCTAssertThrowsError(try AffineQuantizer.quantize([Float](repeating: 0, count: 48), rows: 1, cols: 48, bits: 4, groupSize: 32))
        XCTAssertThrowsError(try AffineQuantizer.quantize([Float](repeating: 0, count: 64), rows: 1, cols: 64, bits: 3, groupSize: 32))
        XCTAssertThrowsError(try AffineQuantizer.quantize([Float](repeating: 0, count: 64), rows: 1, cols: 64, bits: 4, groupSize: 16))
        XCTAssertThrowsError(try AffineQuantizer.quantize([Float](repeating: 0, count: 63), rows: 1, cols: 64, bits: 4, groupSize: 32))
        XCTAssertThrowsError(try AffineQuantizedMatrix(rows: 1, cols: 32, bits: 4, groupSize: 32, packed: [0], scales: [1], biases: [0]))
        XCTAssertThrowsError(try GGMLDequantizer.dequantize(UnsafeRawBufferPointer(start: nil, count: 0), type: .q4_0, elementCount: 32))
        XCTAssertThrowsError(try GGMLDequantizer.dequantize(UnsafeRawBufferPointer(start: nil, count: 0), type: .iq2_XS, elementCount: 0))
    }
}
