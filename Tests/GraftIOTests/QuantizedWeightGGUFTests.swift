import Foundation
import Graft
import GraftIO
import XCTest

/// The engine's quantized kernels on real GGUF weights, against the GGUF reader's float
/// dequantization (itself checked against gguf-py).
final class QuantizedWeightGGUFTests: XCTestCase {
    static var modelURL: URL {
        let root = ProcessInfo.processInfo.environment["GRAFT_CACHE"]
            .map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/graft")
        return root.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
    }

    func testQ4_1AndQ8_0WeightsMatchTheReader() throws {
        let file = try GGUFFile(path: Self.modelURL.path)
        for name in ["blk.0.attn_q.weight", "blk.29.ffn_down.weight", "token_embd.weight"] {
            let t = try file.requireTensor(name)
            let w = try t.affineGroups().quantizedWeight()
            // GGUF's factors are halves, so they are kept as float16 (and lose nothing: below).
            XCTAssertEqual(w.scales.dtype, .float16, name)
            XCTAssertEqual(w.biases.dtype, .float16, name)
            let rows = Tensor.arange(0, Double(Swift.min(w.rows, 300)))
            let got = w.take(rows).toArray()
            let want = Array(try t.floats().prefix(got.count))
            XCTAssertEqual(got, want, "\(name): dequantized rows differ from the reader's")
        }
    }

    func testScalesThatAreNotHalvesStayFloat32() throws {
        // 0.1 and -0.3 have no exact float16; 0.5 and -2 do.
        let packed = [UInt32](repeating: 0x7654_3210, count: 8)
        for (scale, bias, half) in [(Float(0.1), Float(-0.3), false), (0.5, -2, true)] {
            let m = try AffineQuantizedMatrix(rows: 2, cols: 32, bits: 4, groupSize: 32, packed: packed,
                                              scales: [scale, scale], biases: [bias, bias])
            let w = try m.quantizedWeight()
            XCTAssertEqual(w.scales.dtype, half ? .float16 : .float32, "scale \(scale)")
            XCTAssertEqual(w.biases.dtype, w.scales.dtype)
            XCTAssertEqual(w.scales.toArray(), [scale, scale])
            XCTAssertEqual(w.biases.toArray(), [bias, bias])
        }
    }

    func testQuantizedMatmulOnRealWeightsMatchesDense() throws {
        let file = try GGUFFile(path: Self.modelURL.path)
        let t = try file.requireTensor("blk.3.ffn_gate.weight")  // [1536, 576] Q4_1
        let w = try t.affineGroups().quantizedWeight()
        let dense = try t.tensor()
        for m in [1, 3, 37] {
            let x = Tensor.normal([m, w.cols], key: RandomKey(seed: UInt64(m)))
            let got = Tensor.quantizedMatmul(x, w).toArray()
            let want = Tensor.matmul(x, dense, transposeB: true).toArray()
            let scale = want.map(Swift.abs).max()!
            let err = zip(got, want).map { Swift.abs($0 - $1) }.max()!
            XCTAssertLessThan(err / scale, 1e-5, "m = \(m)")
        }
    }
}
