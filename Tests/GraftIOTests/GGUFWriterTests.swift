import Foundation
import GraftIO
import XCTest

final class GGUFWriterTests: XCTestCase {
    /// Re-writing gguf-py's mixed_types.gguf (same metadata order, same tensors, alignment 64)
    /// reproduces the file byte for byte.
    func testRewriteOfGGUFPyFileIsByteIdentical() throws {
        let sourcePath = GGUFTestSupport.fixturePath("mixed_types.gguf")
        let source = try GGUFFile(path: sourcePath)
        var writer = GGUFWriter(alignment: source.alignment)
        for key in source.metadataKeys { writer.setValue(source.value(key)!, forKey: key) }
        for tensor in source.tensors {
            try writer.addTensor(name: tensor.name, type: tensor.type, shape: tensor.shape, bytes: Array(tensor.data))
        }
        let out = try GGUFTestSupport.temporaryDirectory(self).appendingPathComponent("rewrite.gguf")
        try writer.write(to: out.path)
        let written = try Data(contentsOf: out)
        let original = try Data(contentsOf: URL(fileURLWithPath: sourcePath))
        XCTAssertEqual(written.count, original.count)
        XCTAssertTrue(written == original, "first difference at byte \(Array(zip(written, original)).firstIndex { $0 != $1 } ?? -1)")
    }

    /// Metadata of every type (including empty arrays) and F32/F16/Q8_0/Q4_1 tensors taken from
    /// the real model survive a write and read back unchanged.
    func testRoundTripAllMetadataTypesAndTensors() throws {
        let model = try GGUFFile(path: GGUFTestSupport.requireModel())
        let values: [(String, GGUFValue)] = [
            ("general.architecture", .string("llama")),
            ("t.u8", .uint8(255)), ("t.i8", .int8(-128)), ("t.u16", .uint16(65535)), ("t.i16", .int16(-32768)),
            ("t.u32", .uint32(.max)), ("t.i32", .int32(.min)), ("t.u64", .uint64(.max)), ("t.i64", .int64(.min)),
            ("t.f32", .float32(-0.0)), ("t.f64", .float64(.pi)), ("t.bool", .bool(true)),
            ("t.str", .string("ünïcödé ✓\n")), ("t.empty", .string("")),
            ("t.a.u8", .array(.uint8([1, 2]))), ("t.a.i8", .array(.int8([-1]))),
            ("t.a.u16", .array(.uint16([7]))), ("t.a.i16", .array(.int16([-7]))),
            ("t.a.u32", .array(.uint32([]))), ("t.a.i32", .array(.int32([3, -3]))),
            ("t.a.u64", .array(.uint64([.max]))), ("t.a.i64", .array(.int64([.min, 0]))),
            ("t.a.f32", .array(.float32([1.5, .infinity]))), ("t.a.f64", .array(.float64([-2.25]))),
            ("t.a.bool", .array(.bool([false, true]))), ("t.a.str", .array(.string(["x", "", "yz"]))),
            ("t.a.empty_str", .array(.string([]))),
        ]
        var writer = GGUFWriter()
        for (key, value) in values { writer.setValue(value, forKey: key) }
        writer.setValue(.uint8(1), forKey: "t.u8")  // replacing keeps the original position

        let embedding = try model.requireTensor("token_embd.weight")   // Q8_0: take 3 rows
        let rowBytes = embedding.data.count / embedding.info.rows
        let q80 = Array(embedding.data.prefix(3 * rowBytes))
        let q41 = try model.requireTensor("blk.0.attn_k.weight")
        let f32 = try model.requireTensor("blk.0.attn_norm.weight")
        try writer.addTensor(name: "q8_0", type: .q8_0, shape: [3, 576], bytes: q80)
        try writer.addTensor(name: "q4_1", type: .q4_1, shape: q41.shape, bytes: Array(q41.data))
        try writer.addTensor(name: "f32", type: .f32, shape: f32.shape, bytes: Array(f32.data))
        let halfSource: [Float] = [0, -0.0, 1, -2.5, 65504, 6e-8, 0.1, 3]
        try writer.addTensor(name: "f16", shape: [2, 4], halfPrecisionFloats: halfSource)
        try writer.addTensor(name: "floats", shape: [2, 2, 2], floats: [1, 2, 3, 4, 5, 6, 7, 8])

        let path = try GGUFTestSupport.temporaryDirectory(self).appendingPathComponent("round.gguf").path
        try writer.write(to: path)
        let file = try GGUFFile(path: path)
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.alignment, 32)
        XCTAssertEqual(file.metadataKeys, values.map(\.0))
        for (key, value) in values where key != "t.u8" {
            XCTAssertEqual(file.value(key), value, key)
        }
        XCTAssertEqual(file.value("t.u8"), .uint8(1))
        XCTAssertEqual(file.tensorNames, ["q8_0", "q4_1", "f32", "f16", "floats"])
        for info in file.tensorInfos { XCTAssertEqual(info.relativeOffset % 32, 0, info.name) }
        XCTAssertEqual(Array(try file.requireTensor("q8_0").data), q80)
        XCTAssertEqual(Array(try file.requireTensor("q4_1").data), Array(q41.data))
        XCTAssertEqual(try file.requireTensor("q4_1").shape, [192, 576])
        XCTAssertEqual(try file.requireTensor("q4_1").floats(), try q41.floats())
        XCTAssertEqual(try file.requireTensor("q8_0").floats(), Array(try embedding.floats().prefix(3 * 576)))
        XCTAssertEqual(try file.requireTensor("f32").floats(), try f32.floats())
        XCTAssertEqual(try file.requireTensor("f16").type, .f16)
        XCTAssertEqual(try file.requireTensor("f16").floats(), halfSource.map { Float(Float16($0)) })
        XCTAssertEqual(try file.requireTensor("floats").shape, [2, 2, 2])
        XCTAssertEqual(try file.requireTensor("floats").floats(), [1, 2, 3, 4, 5, 6, 7, 8])
    }

    func testNonDefaultAlignmentIsRecorded() throws {
        var writer = GGUFWriter(alignment: 128)
        try writer.addTensor(name: "a", shape: [3], floats: [1, 2, 3])
        try writer.addTensor(name: "b", shape: [5], floats: [4, 5, 6, 7, 8])
        let path = try GGUFTestSupport.temporaryDirectory(self).appendingPathComponent("aligned.gguf").path
        try writer.write(to: path)
        let file = try GGUFFile(path: path)
        XCTAssertEqual(file.value("general.alignment"), .uint32(128))
        XCTAssertEqual(file.alignment, 128)
        XCTAssertEqual(file.dataStart % 128, 0)
        XCTAssertEqual(try file.requireTensor("b").info.relativeOffset, 128)
        XCTAssertEqual(try file.requireTensor("b").floats(), [4, 5, 6, 7, 8])
        XCTAssertEqual(file.fileSize, file.dataStart + 256, "each tensor is padded to the alignment")
    }

    func testWriteReplacesAtomicallyAndLeavesNoTemporaryFiles() throws {
        let dir = try GGUFTestSupport.temporaryDirectory(self)
        let path = dir.appendingPathComponent("model.gguf").path
        try Data("old content".utf8).write(to: URL(fileURLWithPath: path))
        var writer = GGUFWriter()
        writer.setValue(.string("x"), forKey: "general.architecture")
        try writer.write(to: path)
        XCTAssertEqual(try GGUFFile(path: path).string("general.architecture"), "x")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["model.gguf"])
    }

    func testInvalidWriterInputIsRejected() throws {
        var writer = GGUFWriter()
        try writer.addTensor(name: "a", shape: [32], floats: Array(repeating: 0, count: 32))
        XCTAssertThrowsError(try writer.addTensor(name: "a", shape: [1], floats: [0])) { error in
            guard case GGUFError.invalidWriterInput(tensor: "a", _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("duplicate"), "\(error)")
        }
        XCTAssertThrowsError(try writer.addTensor(name: String(repeating: "n", count: 64), shape: [1], floats: [0]))
        XCTAssertThrowsError(try writer.addTensor(name: "b", type: .q8_0, shape: [1, 32], bytes: [UInt8](repeating: 0, count: 33)))
        XCTAssertThrowsError(try writer.addTensor(name: "c", type: .q4_1, shape: [16], bytes: [UInt8](repeating: 0, count: 10)))
        XCTAssertThrowsError(try writer.addTensor(name: "d", shape: [1, 1, 1, 1, 1], floats: [0]))
        XCTAssertEqual(writer.tensorNames, ["a"])

        let missingDir = "/nonexistent-\(UUID().uuidString)/out.gguf"
        XCTAssertThrowsError(try writer.write(to: missingDir)) { error in
            guard case GGUFError.writeFailed(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, missingDir)
        }
        var conflicting = GGUFWriter(alignment: 64)
        conflicting.setValue(.uint32(32), forKey: "general.alignment")
        let out = try GGUFTestSupport.temporaryDirectory(self).appendingPathComponent("x.gguf").path
        XCTAssertThrowsError(try conflicting.write(to: out))
        XCTAssertThrowsError(try GGUFWriter(alignment: 48).write(to: out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }
}
