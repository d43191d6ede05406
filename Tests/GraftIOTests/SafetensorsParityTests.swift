import Foundation
import GraftIO
import XCTest

/// Parity with the reference `safetensors` library (fixtures from scripts/fixtures/safetensors.py).
final class SafetensorsParityTests: XCTestCase {
    func testReadsReferenceFileWithMixedDtypesAndMetadata() throws {
        let expected = try SafetensorsTestSupport.json("python_mixed.json")
        let url = try SafetensorsTestSupport.fixture("python_mixed.safetensors")
        let mapped = try SafetensorsFile(contentsOf: url)
        let inMemory = try SafetensorsFile(data: Data(contentsOf: url), name: "mixed")
        let tensors = try XCTUnwrap(expected["tensors"] as? [String: Any])
        for file in [mapped, inMemory] {
            XCTAssertEqual(file.metadata, expected["metadata"] as? [String: String])
            XCTAssertEqual(file.tensorNames, tensors.keys.sorted())
            try SafetensorsTestSupport.assertTensors(tensors, info: file.info, floats: file.floats, raw: file.rawData)
        }
        XCTAssertEqual(Set(mapped.tensors.map(\.dtype)), [.f32, .bf16, .f16, .f64, .i32, .i64, .u8, .u32, .bool])
    }

    /// Float → bf16 / f16 rounding agrees bit for bit with ml_dtypes and numpy.
    func testFloatRoundingMatchesMLDtypesAndNumpy() throws {
        let expected = try SafetensorsTestSupport.json("rounding.json")
        let inputs = try XCTUnwrap(expected["inputs"] as? [Any]).map { Float(try HDF5TestSupport.exactDouble($0)) }
        let bf16 = try XCTUnwrap(expected["bf16_bits"] as? [Int]).map(UInt16.init)
        let f16 = try XCTUnwrap(expected["f16_bits"] as? [Int]).map(UInt16.init)
        XCTAssertEqual(inputs.map(SafetensorsConversion.bfloat16Bits), bf16)
        XCTAssertEqual(inputs.map(SafetensorsConversion.float16Bits), f16)
        // And back: widening is exact.
        for bits in bf16 where !SafetensorsConversion.float(fromBFloat16: bits).isNaN {
            XCTAssertEqual(SafetensorsConversion.bfloat16Bits(from: SafetensorsConversion.float(fromBFloat16: bits)), bits)
        }
    }

    func testReadsReferenceShardedModel() throws {
        let expected = try SafetensorsTestSupport.json("sharded.json")
        let directory = try SafetensorsTestSupport.fixture("sharded")
        let model = try SafetensorsShardedModel(directory: directory)
        XCTAssertEqual(model.totalSize, expected["total_size"] as? Int)
        XCTAssertEqual(model.weightMap, expected["weight_map"] as? [String: String])
        XCTAssertEqual(model.shardNames, ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        let tensors = try XCTUnwrap(expected["tensors"] as? [String: Any])
        XCTAssertEqual(model.tensorNames, tensors.keys.sorted())
        try SafetensorsTestSupport.assertTensors(tensors, info: model.info, floats: model.floats,
                                                 raw: { name in try model.withRawBytes(name) { Data($0) } })
    }

    /// The Swift writer's file is byte-identical to what the reference library writes for the
    /// same tensors and metadata, and the reference reads back exactly what was written.
    func testSwiftWriterMatchesReferenceBytes() throws {
        let image = try SwiftWrittenSafetensors.make().serialized()
        if let target = ProcessInfo.processInfo.environment["GRAFT_WRITE_SAFETENSORS_FIXTURE"] {
            try image.write(to: URL(fileURLWithPath: target))
        }
        let committed = try Data(contentsOf: SafetensorsTestSupport.fixture("swift_written.safetensors"))
        XCTAssertEqual(image, committed, "the writer no longer produces the committed file")
        let reference = try Data(contentsOf: SafetensorsTestSupport.fixture("python_reserialized.safetensors"))
        XCTAssertEqual(image, reference, "bytes differ from the reference writer's")
        let pythonView = try SafetensorsTestSupport.json("swift_written.python.json")
        XCTAssertEqual(pythonView["bytes_identical_to_reference"] as? Bool, true)
        XCTAssertEqual(pythonView["metadata"] as? [String: String], ["format": "pt"])
        let file = try SafetensorsFile(data: image, name: "swift")
        let tensors = try XCTUnwrap(pythonView["tensors"] as? [String: Any])
        XCTAssertEqual(file.tensorNames, tensors.keys.sorted())
        try SafetensorsTestSupport.assertTensors(tensors, info: file.info, floats: file.floats, raw: file.rawData)
    }

    func testShardedWriterRoundTrips() throws {
        let directory = try HDF5TestSupport.temporaryDirectory(for: self)
        let writer = try SwiftWrittenSafetensors.make()
        let names = try writer.writeModel(to: directory, maxShardBytes: 64)
        XCTAssertEqual(names.last, SafetensorsShardedModel.indexFileName)
        XCTAssertGreaterThan(names.count, 2)
        let model = try SafetensorsShardedModel(directory: directory)
        XCTAssertEqual(model.totalSize, writer.dataByteCount)
        let single = try SafetensorsFile(data: writer.serialized())
        XCTAssertEqual(model.tensorNames, single.tensorNames)
        for name in single.tensorNames {
            XCTAssertEqual(try model.info(name).shape, try single.info(name).shape)
            XCTAssertEqual(try model.withRawBytes(name) { Data($0) }, try single.rawData(name))
        }
        let one = directory.appendingPathComponent("one")
        try FileManager.default.createDirectory(at: one, withIntermediateDirectories: true)
        XCTAssertEqual(try writer.writeModel(to: one, maxShardBytes: 1 << 20), [SafetensorsShardedModel.singleFileName])
        XCTAssertEqual(try SafetensorsShardedModel(directory: one).tensorNames, single.tensorNames)
    }
}

/// The tensors of `Fixtures/safetensors/swift_written.safetensors`. Refresh with
/// `GRAFT_WRITE_SAFETENSORS_FIXTURE=<repo>/Tests/GraftIOTests/Fixtures/safetensors/swift_written.safetensors`
/// then `python scripts/fixtures/safetensors.py read`.
enum SwiftWrittenSafetensors {
    static func make() throws -> SafetensorsWriter {
        // One metadata key only: the reference orders several keys differently on each run.
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        try writer.add("model.layers.0.self_attn.q_proj.weight", floats: (0..<12).map { Float($0) * 0.37 - 2 },
                       shape: [3, 4])
        try writer.add("model.layers.0.self_attn.k_proj.weight", floats: (0..<6).map { Float($0) / 3 - 1 },
                       shape: [2, 3], as: .bf16)
        try writer.add("model.norm.weight", floats: [1, 0.5, -0.25, 1e-3, 70000], shape: [5], as: .f16)
        try writer.add("lm_head.scale", floats: [0.1], shape: [], as: .f64)
        try writer.add("ids", integers: [Int32.min, -1, 0, Int32.max], shape: [2, 2])
        try writer.add("positions", integers: [Int64(1) << 40, -3], shape: [2])
        try writer.add("bytes", integers: [0, 200, 255] as [UInt8], shape: [3])
        try writer.add("codes", integers: [4_000_000_000, 1] as [UInt32], shape: [2])
        try writer.add("mask", booleans: [true, false, true], shape: [3])
        try writer.add("small", integers: [-128, 127] as [Int8], shape: [2])
        try writer.add("shorts", integers: [-300, 300] as [Int16], shape: [1, 2])
        try writer.add("ushorts", integers: [65535] as [UInt16], shape: [1])
        try writer.add("big", integers: [UInt64(1) << 50] as [UInt64], shape: [1])
        try writer.add("empty", floats: [], shape: [0, 3])
        try writer.add("a \"quoted\"/name\n", floats: [2], shape: [1])
        return writer
    }
}
