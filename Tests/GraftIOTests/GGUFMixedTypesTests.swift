import Foundation
import GraftIO
import XCTest

/// A small file written by gguf-py with every metadata type, alignment 64 and one tensor of each
/// convertible ggml type (Fixtures/gguf/mixed_types.gguf), against gguf-py's reading of it
/// (mixed_types.json), gguf-py's dequantization and MLX's GGUF loader (mixed_expected.gguf).
final class GGUFMixedTypesTests: XCTestCase {
    nonisolated(unsafe) private static let facts = try! GGUFTestSupport.json("mixed_types.json")

    private func openFixture() throws -> GGUFFile {
        try GGUFFile(path: GGUFTestSupport.fixturePath("mixed_types.gguf"))
    }

    func testHeaderAndAlignment() throws {
        let file = try openFixture()
        XCTAssertEqual(file.fileSize, Self.facts["file_size"] as? Int)
        XCTAssertEqual(Int(file.version), Self.facts["version"] as? Int)
        XCTAssertEqual(file.metadataKeys.count, Self.facts["kv_count"] as? Int)
        XCTAssertEqual(file.tensorInfos.count, Self.facts["tensor_count"] as? Int)
        XCTAssertEqual(file.alignment, Self.facts["alignment"] as? Int)
        XCTAssertEqual(file.alignment, 64)
        XCTAssertEqual(file.dataStart, Self.facts["data_offset"] as? Int)
    }

    func testEveryMetadataTypeMatchesGGUFPy() throws {
        let file = try openFixture()
        let keys = Self.facts["metadata_keys"] as! [String]
        let records = Self.facts["metadata"] as! [String: [String: Any]]
        XCTAssertEqual(file.metadataKeys, keys)
        var seenTypes = Set<String>()
        for key in keys {
            GGUFTestSupport.assertMetadata(file.value(key), matches: records[key]!, key: key)
            seenTypes.insert(records[key]!["type"] as! String)
            if let element = records[key]!["element_type"] as? String { seenTypes.insert("ARRAY of \(element)") }
        }
        // The fixture covers every scalar type and every array element type.
        for type in GGUFValueType.allCases {
            XCTAssertTrue(seenTypes.contains(type.description), "\(type) not covered")
            if type != .array { XCTAssertTrue(seenTypes.contains("ARRAY of \(type)"), "ARRAY of \(type) not covered") }
        }
    }

    func testTypedAccessorsAcrossTypes() throws {
        let file = try openFixture()
        let records = Self.facts["metadata"] as! [String: [String: Any]]
        func value(_ key: String) -> String { GGUFTestSupport.fixtureString(records[key]!["value"]!) }
        for key in ["test.uint8", "test.int8", "test.uint16", "test.int16", "test.uint32", "test.int32", "test.int64"] {
            XCTAssertEqual(try file.int(key).map(String.init), value(key), key)
        }
        // A UINT64 above Int.max is not an Int: the accessor reports the mismatch instead of wrapping.
        XCTAssertThrowsError(try file.int("test.uint64"))
        XCTAssertEqual(try file.float("test.float32")?.bitPattern, UInt32(value("test.float32"), radix: 16))
        XCTAssertEqual(try file.double("test.float64")?.bitPattern, UInt64(value("test.float64"), radix: 16))
        XCTAssertEqual(try file.bool("test.bool_true"), true)
        XCTAssertEqual(try file.bool("test.bool_false"), false)
        XCTAssertEqual(try file.string("test.string"), value("test.string"))
        XCTAssertEqual(try file.string("test.empty_string"), "")
        XCTAssertEqual(try file.stringArray("test.array_string"),
                       (records["test.array_string"]!["value"] as! [Any]).map(GGUFTestSupport.fixtureString))
        XCTAssertEqual(try file.intArray("test.array_int32")?.map(String.init),
                       (records["test.array_int32"]!["value"] as! [Any]).map(GGUFTestSupport.fixtureString))
        XCTAssertEqual(try file.floatArray("test.array_float32")?.map { String($0.bitPattern, radix: 16) },
                       (records["test.array_float32"]!["value"] as! [Any]).map { String(UInt32("\($0)", radix: 16)!, radix: 16) })
        XCTAssertEqual(try file.floatArray("test.array_float64")?.count, 2)
        XCTAssertThrowsError(try file.intArray("test.array_uint64"), "UINT64 max does not fit Int")
    }

    func testTensorTableMatchesGGUFPy() throws {
        let file = try openFixture()
        let expected = Self.facts["tensors"] as! [[String: Any]]
        XCTAssertEqual(file.tensorNames, expected.map { $0["name"] as! String })
        for (info, record) in zip(file.tensorInfos, expected) {
            XCTAssertEqual(Int(info.type.rawValue), record["type"] as? Int, info.name)
            XCTAssertEqual(info.dimensions, record["ne"] as? [Int], info.name)
            XCTAssertEqual(info.fileOffset, record["file_offset"] as? Int, info.name)
            XCTAssertEqual(info.byteCount, record["n_bytes"] as? Int, info.name)
            XCTAssertEqual(info.fileOffset % 64, 0, info.name)
        }
        XCTAssertEqual(try file.requireTensor("f32.cube").shape, [2, 3, 32])
        XCTAssertEqual(try file.requireTensor("f32.vector").shape, [48])
        XCTAssertEqual(try file.requireTensor("q6_k.matrix").shape, [2, 512])
    }

    /// Every tensor (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K) dequantizes
    /// bit-identically to gguf.quants.dequantize.
    func testDequantizationMatchesGGUFPyForEveryType() throws {
        let file = try openFixture()
        let expected = try GGUFFile(path: GGUFTestSupport.fixturePath("mixed_expected.gguf"))
        var covered = Set<GGMLType>()
        for tensor in file.tensors {
            let reference = try GGUFTestSupport.referenceFloats(expected, tensor.name)
            GGUFTestSupport.assertBitIdentical(try tensor.floats(), reference, "\(tensor.name) (\(tensor.type))")
            let last = tensor.info.rows - 1
            GGUFTestSupport.assertBitIdentical(try tensor.floatRow(last),
                                               Array(reference[last * tensor.info.columns ..< reference.count]),
                                               "\(tensor.name) last row")
            covered.insert(tensor.type)
        }
        XCTAssertEqual(covered, [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K])
    }

    /// Q4_0, Q4_1, Q8_0 → affine groups vs MLX's GGUF loader: identical words, scales and biases.
    func testAffineGroupsMatchMLXLoader() throws {
        let file = try openFixture()
        let expected = try GGUFFile(path: GGUFTestSupport.fixturePath("mixed_expected.gguf"))
        for name in ["q4_0.matrix", "q4_1.matrix", "q8_0.matrix"] {
            let tensor = try file.requireTensor(name)
            let affine = try tensor.affineGroups()
            XCTAssertEqual(affine.packed, try GGUFTestSupport.referenceWords(expected, "mlx/\(name).packed"), name)
            GGUFTestSupport.assertBitIdentical(affine.scales, try GGUFTestSupport.referenceFloats(expected, "mlx/\(name).scales"), name)
            GGUFTestSupport.assertBitIdentical(affine.biases, try GGUFTestSupport.referenceFloats(expected, "mlx/\(name).biases"), name)
            // Equal values; only the sign of zeros may differ (d·q + (−8d) gives +0 where
            // gguf-py's d·(q − 8) gives −0 for a negative d).
            GGUFTestSupport.assertEqualValues(affine.dequantize(), try GGUFTestSupport.referenceFloats(expected, name),
                                              "\(name) affine dequantized vs gguf-py")
            // affine() without arguments takes the lossless path.
            XCTAssertEqual(try tensor.affine(), affine)
        }
    }

    /// K-quants have no lossless affine form: affine() dequantizes and re-quantizes with MLX's
    /// algorithm. Its error is at most one step |scale|: half a step from rounding, and MLX's
    /// snapping of the scale to `edge / rint(edge / scale)` can push the far end of the range up
    /// to one step past the last level, where values are clamped.
    func testKQuantToAffineWithinOneStep() throws {
        let file = try openFixture()
        let expected = try GGUFFile(path: GGUFTestSupport.fixturePath("mixed_expected.gguf"))
        for name in ["q4_k.matrix", "q5_k.matrix", "q6_k.matrix"] {
            let reference = try GGUFTestSupport.referenceFloats(expected, name)
            for (bits, group) in [(4, 64), (8, 32), (4, 128)] {
                let affine = try file.requireTensor(name).affine(bits: bits, groupSize: group)
                XCTAssertEqual([affine.rows, affine.cols, affine.bits, affine.groupSize], [2, 512, bits, group])
                let values = affine.dequantize()
                for i in 0 ..< values.count {
                    let step = abs(affine.scales[i / group])
                    XCTAssertLessThanOrEqual(abs(values[i] - reference[i]), step * 1.0001, "\(name) b\(bits) g\(group) [\(i)]")
                }
            }
        }
    }

    func testUnsupportedConversionsAreReported() throws {
        let file = try openFixture()
        XCTAssertThrowsError(try file.requireTensor("q5_0.matrix").affineGroups()) { error in
            guard case GGUFError.unsupportedConversion(_, "q5_0.matrix", .q5_0, _) = error else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertTrue("\(error)".contains("mixed_types.gguf"), "\(error)")
        }
        XCTAssertThrowsError(try file.requireTensor("f32.vector").affine(bits: 4, groupSize: 32)) { error in
            guard case GGUFError.conversionFailed(_, "f32.vector", _) = error else { return XCTFail("unexpected \(error)") }
        }
    }
}
