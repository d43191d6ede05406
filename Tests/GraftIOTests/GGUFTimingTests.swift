import Foundation
import GraftIO
import XCTest

/// Opens the real model and converts every tensor, printing the time each step takes
/// (run in release to get meaningful numbers). Also checks the conversions cover every tensor.
final class GGUFTimingTests: XCTestCase {
    private func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    func testOpenAndConvertAllTensorsOfRealModel() throws {
        let path = try GGUFTestSupport.requireModel()
        var file: GGUFFile!
        let openTime = try seconds { file = try GGUFFile(path: path) }
        var floatCount = 0, affineCount = 0, requantizedCount = 0
        let floatTime = try seconds {
            for tensor in file.tensors { floatCount += try tensor.floats().count }
        }
        let affineTime = try seconds {
            for tensor in file.tensors where GGMLAffineConverter.supportedTypes.contains(tensor.type) {
                affineCount += try tensor.affineGroups().packed.count
            }
        }
        let embedding = try file.requireTensor("token_embd.weight")
        let embeddingFloats = try embedding.floats()
        let requantizeTime = try seconds {
            requantizedCount = try AffineQuantizer.quantize(embeddingFloats, rows: embedding.info.rows,
                                                            cols: embedding.info.columns, bits: 4, groupSize: 64).packed.count
        }
        let totalElements = file.tensorInfos.reduce(0) { $0 + $1.elementCount }
        XCTAssertEqual(floatCount, totalElements)
        XCTAssertGreaterThan(affineCount, 0)
        XCTAssertEqual(requantizedCount, embedding.info.elementCount / 8)
        print(String(format: "GGUF timing: open %.1f ms; all %d tensors → floats (%d values) %.1f ms; "
                         + "Q8_0/Q4_1 → affine %.1f ms; token_embd floats → 4-bit/64 affine %.1f ms",
                     openTime * 1e3, file.tensorInfos.count, floatCount, floatTime * 1e3, affineTime * 1e3,
                     requantizeTime * 1e3))
    }
}
