import Foundation
import GraftIO
import XCTest

/// The real SmolLM2-135M-Instruct Q4_1 model against facts gguf-py and MLX report about it
/// (Fixtures/gguf/smollm2_facts.json and smollm2_rows.gguf from scripts/fixtures/gguf.py).
final class GGUFRealModelTests: XCTestCase {
    nonisolated(unsafe) private static let facts = try! GGUFTestSupport.json("smollm2_facts.json")

    private func openModel() throws -> GGUFFile {
        try GGUFFile(path: GGUFTestSupport.requireModel())
    }

    func testHeaderFacts() throws {
        let file = try openModel()
        let facts = Self.facts
        XCTAssertEqual(file.fileSize, facts["file_size"] as? Int)
        XCTAssertEqual(Int(file.version), facts["version"] as? Int)
        XCTAssertEqual(file.tensorInfos.count, facts["tensor_count"] as? Int)
        XCTAssertEqual(file.metadataKeys.count, facts["kv_count"] as? Int)
        XCTAssertEqual(file.alignment, facts["alignment"] as? Int)
        XCTAssertEqual(file.dataStart, facts["data_offset"] as? Int)
        XCTAssertNil(file.value("general.alignment"))
    }

    func testEveryMetadataRecordMatchesGGUFPy() throws {
        let file = try openModel()
        let keys = Self.facts["metadata_keys"] as! [String]
        let records = Self.facts["metadata"] as! [String: [String: Any]]
        XCTAssertEqual(file.metadataKeys, keys)
        for key in keys {
            GGUFTestSupport.assertMetadata(file.value(key), matches: records[key]!, key: key)
        }
    }

    func testTypedAccessorsOnRealMetadata() throws {
        let file = try openModel()
        let records = Self.facts["metadata"] as! [String: [String: Any]]
        func recorded(_ key: String) -> String { GGUFTestSupport.fixtureString(records[key]!["value"]!) }
        XCTAssertEqual(try file.string("general.architecture"), recorded("general.architecture"))
        XCTAssertEqual(try file.requiredInt("llama.block_count"), Int(recorded("llama.block_count")))
        XCTAssertEqual(try file.int("llama.attention.head_count_kv"), Int(recorded("llama.attention.head_count_kv")))
        let eps = try XCTUnwrap(file.float("llama.attention.layer_norm_rms_epsilon"))
        XCTAssertEqual(eps.bitPattern, UInt32(recorded("llama.attention.layer_norm_rms_epsilon"), radix: 16))
        XCTAssertEqual(try file.bool("tokenizer.ggml.add_bos_token"), records["tokenizer.ggml.add_bos_token"]!["value"] as? Bool)

        let tokens = try XCTUnwrap(file.stringArray("tokenizer.ggml.tokens"))
        let tokenRecord = records["tokenizer.ggml.tokens"]!
        XCTAssertEqual(tokens.count, tokenRecord["count"] as? Int)
        XCTAssertEqual(Array(tokens.prefix(8)), tokenRecord["head"] as? [String])
        XCTAssertEqual(tokens[tokenRecord["middle_index"] as! Int], tokenRecord["middle"] as? String)
        let types = try XCTUnwrap(file.intArray("tokenizer.ggml.token_type"))
        XCTAssertEqual(types.count, tokens.count)
        XCTAssertEqual(Array(types.prefix(8)).map(String.init), records["tokenizer.ggml.token_type"]!["head"] as? [String])
        let merges = try XCTUnwrap(file.stringArray("tokenizer.ggml.merges"))
        XCTAssertEqual(Array(merges.suffix(3)), records["tokenizer.ggml.merges"]!["tail"] as? [String])
        XCTAssertNil(try file.string("no.such.key"))
    }

    func testTensorTableMatchesGGUFPy() throws {
        let file = try openModel()
        let expected = Self.facts["tensors"] as! [[String: Any]]
        XCTAssertEqual(file.tensorInfos.count, expected.count)
        for (info, record) in zip(file.tensorInfos, expected) {
            let name = record["name"] as! String
            XCTAssertEqual(info.name, name)
            XCTAssertEqual(Int(info.type.rawValue), record["type"] as? Int, name)
            XCTAssertEqual(info.type.description, record["type_name"] as? String, name)
            XCTAssertEqual(info.dimensions, record["ne"] as? [Int], name)
            XCTAssertEqual(info.shape, (record["ne"] as! [Int]).reversed(), name)
            XCTAssertEqual(info.fileOffset, record["file_offset"] as? Int, name)
            XCTAssertEqual(info.relativeOffset, record["relative_offset"] as? Int, name)
            XCTAssertEqual(info.byteCount, record["n_bytes"] as? Int, name)
            let tensor = try XCTUnwrap(file.tensor(named: name))
            XCTAssertEqual(tensor.data.count, info.byteCount)
            XCTAssertEqual(tensor.byteRange, info.fileOffset ..< info.fileOffset + info.byteCount)
        }
        let embedding = try file.requireTensor("token_embd.weight")
        XCTAssertEqual(embedding.shape, [49152, 576])
        XCTAssertEqual(embedding.info.rows, 49152)
        XCTAssertEqual(embedding.info.columns, 576)
    }

    /// Dequantized rows and whole-tensor checksums vs gguf.quants.dequantize.
    func testDequantizedValuesMatchGGUFPy() throws {
        let file = try openModel()
        let reference = try GGUFFile(path: GGUFTestSupport.fixturePath("smollm2_rows.gguf"))
        let sums = Self.facts["dequantized_checksums"] as! [String: [String: Any]]
        XCTAssertEqual(Set(sums.keys), ["token_embd.weight", "blk.0.attn_q.weight", "blk.29.ffn_down.weight",
                                        "blk.0.attn_norm.weight", "output_norm.weight"])
        for (name, expected) in sums {
            let tensor = try file.requireTensor(name)
            let values = try tensor.floats()
            XCTAssertEqual(values.count, expected["count"] as? Int, name)
            let (sum, squares) = GGUFTestSupport.checksums(values)
            GGUFTestSupport.assertClose(sum, expected["sum"] as! Double, relative: 1e-6, "\(name) sum")
            GGUFTestSupport.assertClose(squares, expected["sum_of_squares"] as! Double, relative: 1e-6, "\(name) sum of squares")

            let rowNames = reference.tensorNames.filter { $0.hasPrefix(name + "/row") }
            XCTAssertFalse(rowNames.isEmpty, name)
            for rowName in rowNames {
                let row = Int(rowName.dropFirst(name.count + 4))!
                let expectedRow = try GGUFTestSupport.referenceFloats(reference, rowName)
                let columns = tensor.info.columns
                GGUFTestSupport.assertBitIdentical(Array(values[row * columns ..< (row + 1) * columns]), expectedRow, rowName)
                GGUFTestSupport.assertBitIdentical(try tensor.floatRow(row), expectedRow, rowName + " (floatRow)")
            }
        }
    }

    /// Q8_0/Q4_1 → affine groups of 32 vs MLX's own GGUF loader (bit-exact words, scales, biases).
    func testAffineGroupsMatchMLXLoader() throws {
        let file = try openModel()
        let reference = try GGUFFile(path: GGUFTestSupport.fixturePath("smollm2_rows.gguf"))
        let mlx = Self.facts["mlx_gguf_loader"] as! [String: [String: Any]]
        XCTAssertEqual(mlx.count, 3)
        for (name, expected) in mlx {
            let tensor = try file.requireTensor(name)
            let affine = try tensor.affineGroups()
            XCTAssertEqual([affine.rows, affine.wordsPerRow], expected["packed_shape"] as? [Int], name)
            XCTAssertEqual(affine.groupSize, 32)
            XCTAssertEqual(affine.bits, tensor.type == .q8_0 ? 8 : 4)
            let words = GGUFTestSupport.wordChecksums(affine.packed)
            let packed = expected["packed"] as! [String: Any]
            XCTAssertEqual(String(words.sum), packed["sum"] as? String, name)
            XCTAssertEqual(String(words.weightedSum), packed["weighted_sum"] as? String, name)
            for (label, values) in [("scales", affine.scales), ("biases", affine.biases)] {
                let sums = expected[label] as! [String: Any]
                let (sum, squares) = GGUFTestSupport.checksums(values)
                GGUFTestSupport.assertClose(sum, sums["sum"] as! Double, relative: 1e-9, "\(name) \(label) sum")
                GGUFTestSupport.assertClose(squares, sums["sum_of_squares"] as! Double, relative: 1e-9, "\(name) \(label) squares")
            }
            let base = String(name.dropLast(".weight".count))
            for (label, row) in [("row0", 0), ("rowlast", affine.rows - 1)] {
                let prefix = "mlx/\(base)/\(label)"
                let wpr = affine.wordsPerRow, gpr = affine.groupsPerRow
                XCTAssertEqual(Array(affine.packed[row * wpr ..< (row + 1) * wpr]),
                               try GGUFTestSupport.referenceWords(reference, prefix + ".packed"), prefix)
                GGUFTestSupport.assertBitIdentical(Array(affine.scales[row * gpr ..< (row + 1) * gpr]),
                                                   try GGUFTestSupport.referenceFloats(reference, prefix + ".scales"), prefix)
                GGUFTestSupport.assertBitIdentical(Array(affine.biases[row * gpr ..< (row + 1) * gpr]),
                                                   try GGUFTestSupport.referenceFloats(reference, prefix + ".biases"), prefix)
            }
            // The affine form dequantizes bit-identically to ggml's own dequantization.
            let direct = try tensor.floats()
            for row in [0, affine.rows / 3, affine.rows - 1] {
                GGUFTestSupport.assertEqualValues(affine.dequantizeRow(row),
                                                   Array(direct[row * affine.cols ..< (row + 1) * affine.cols]),
                                                   "\(name) row \(row) affine vs ggml")
            }
        }
    }
}
