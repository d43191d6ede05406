import Foundation
import GraftIO
import XCTest

/// Bad safetensors input gives a `SafetensorsError` naming the file and the problem.
final class SafetensorsErrorTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try HDF5TestSupport.temporaryDirectory(for: self)
    }

    /// A file image with the given header text and data bytes.
    private func image(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
        let headerBytes = Array(header.utf8)
        var output = Data()
        withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { output.append(contentsOf: $0) }
        output.append(contentsOf: headerBytes)
        output.append(contentsOf: data)
        return output
    }

    /// Writes `data` to a file, opens it, and returns the error (failing if none).
    private func openError(_ data: Data, file: StaticString = #filePath, line: UInt = #line) -> SafetensorsError? {
        let url = directory.appendingPathComponent("bad-\(UUID().uuidString).safetensors")
        do {
            try data.write(to: url)
            _ = try SafetensorsFile(contentsOf: url)
            XCTFail("opening succeeded", file: file, line: line)
            return nil
        } catch let error as SafetensorsError {
            XCTAssertEqual(error.file, url.path, file: file, line: line)
            XCTAssertTrue(error.description.contains(url.path), file: file, line: line)
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    private let f32Entry = #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

    func testTruncatedAndOversizedHeaders() throws {
        XCTAssertEqual(openError(Data())?.kind, .truncatedHeader(fileSize: 0))
        XCTAssertEqual(openError(Data([1, 0, 0]))?.kind, .truncatedHeader(fileSize: 3))
        XCTAssertEqual(openError(image("{}", declaredLength: 500))?.kind, .headerBeyondFile(length: 500, fileSize: 10))
        XCTAssertEqual(openError(image("{}", declaredLength: 200_000_000))?.kind, .headerTooLarge(length: 200_000_000))
        // The reference fixture cut inside its header and inside its data.
        let whole = try Data(contentsOf: SafetensorsTestSupport.fixture("python_mixed.safetensors"))
        if case .headerBeyondFile = openError(whole.prefix(100))?.kind {} else { XCTFail("cut header not detected") }
        let cutData = openError(whole.prefix(whole.count - 3))
        XCTAssertTrue(cutData?.description.contains("beyond the data buffer") ?? false, "\(String(describing: cutData))")
    }

    func testMalformedHeaderJSON() {
        for (header, fragment) in [("{\"t\": [1, 2", "invalid header"), ("[1, 2]", "does not start with '{'"),
                                   ("{\"t\": 5}", "invalid entry for tensor 't'"),
                                   (#"{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, "negative dimension"),
                                   (#"{"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, "tensor 't'"),
                                   (#"{"__metadata__":{"a":1}}"#, "must map strings to strings")] {
            let error = openError(image(header))
            XCTAssertTrue(error?.description.contains(fragment) ?? false, "\(header): \(String(describing: error))")
        }
        var notUTF8 = image("{\"a\":\"xx\"}")
        notUTF8[13] = 0xFF
        XCTAssertEqual(openError(notUTF8)?.kind, .invalidHeader("header is not valid UTF-8"))
    }

    func testUnknownDType() {
        let error = openError(image(#"{"t":{"dtype":"F4_MX","shape":[2],"data_offsets":[0,1]}}"#, data: [0]))
        XCTAssertEqual(error?.kind, .unknownDType(tensor: "t", dtype: "F4_MX"))
        XCTAssertTrue(error?.description.contains("unknown dtype 'F4_MX'") ?? false)
    }

    func testOffsetsOutOfRangeOverlappingGapsAndSizeMismatch() {
        let outOfRange = openError(image(f32Entry, data: [0, 0, 0, 0]))
        XCTAssertTrue(outOfRange?.description.contains("beyond the data buffer of 4 bytes") ?? false, "\(String(describing: outOfRange))")
        let overlapping = openError(image(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                                          data: Array(repeating: 0, count: 8)))
        XCTAssertEqual(overlapping?.kind, .invalidOffsets(tensor: "b", reason: "overlaps tensor 'a'"))
        let gap = openError(image(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#, data: [0, 0, 0, 0]))
        XCTAssertEqual(gap?.kind, .invalidOffsets(tensor: "a", reason: "gap of 2 unused bytes before it"))
        let trailing = openError(image(f32Entry, data: Array(repeating: 0, count: 12)))
        XCTAssertTrue(trailing?.description.contains("4 bytes after the last tensor") ?? false)
        let mismatch = openError(image(#"{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)))
        XCTAssertTrue(mismatch?.description.contains("needs 12") ?? false, "\(String(describing: mismatch))")
        let reversed = openError(image(#"{"t":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}"#, data: [0, 0, 0, 0]))
        if case .invalidOffsets(tensor: "t", _) = reversed?.kind {} else { XCTFail("\(String(describing: reversed))") }
    }

    func testValidFileEdgeCasesAndLookupErrors() throws {
        // Unpadded header (as MLX writes it), metadata null, unaligned F32 data.
        let header = #"{"__metadata__":null,"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"f":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[8,9]}}"#
        var data: [UInt8] = []
        for value in [Float(1.5), -2] { withUnsafeBytes(of: value.bitPattern.littleEndian) { data += $0 } }
        data.append(0x38)
        let file = try SafetensorsFile(data: image(header, data: data), name: "edge")
        XCTAssertNil(file.metadata)
        XCTAssertEqual(try file.floats("t"), [1.5, -2])
        XCTAssertThrowsError(try file.floats("f")) { error in
            XCTAssertEqual((error as? SafetensorsError)?.kind, .unsupportedConversion(tensor: "f", dtype: .f8E4M3))
        }
        XCTAssertThrowsError(try file.info("missing")) { error in
            XCTAssertEqual("\(error)", "safetensors file 'edge': no tensor named 'missing'")
        }
        let missing = directory.appendingPathComponent("missing.safetensors")
        XCTAssertThrowsError(try SafetensorsFile(contentsOf: missing)) { error in
            XCTAssertTrue("\(error)".contains(missing.path) && "\(error)".contains("No such file"), "\(error)")
        }
    }

    func testWriterRejectsBadInput() throws {
        var writer = SafetensorsWriter()
        try writer.add("a", floats: [1, 2], shape: [2])
        XCTAssertThrowsError(try writer.add("a", floats: [1], shape: [1]))
        XCTAssertThrowsError(try writer.add("b", floats: [1, 2, 3], shape: [2, 2]))
        XCTAssertThrowsError(try writer.add("__metadata__", floats: [1], shape: [1]))
        XCTAssertThrowsError(try writer.add("c", floats: [1], shape: [1], as: .i32))
        XCTAssertEqual(writer.tensorNames, ["a"])
    }

    func testShardedIndexErrors() throws {
        var writer = SafetensorsWriter()
        try writer.add("x", floats: [1, 2, 3, 4], shape: [4])
        try writer.add("y", floats: [5, 6, 7, 8], shape: [4])
        try writer.writeModel(to: directory, maxShardBytes: 16)
        let index = directory.appendingPathComponent(SafetensorsShardedModel.indexFileName)
        func indexError(_ json: String) -> String {
            do {
                try Data(json.utf8).write(to: index)
                _ = try SafetensorsShardedModel(directory: directory)
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(indexError("{\"weight_map\": {\"x\": \"model-00009-of-00009.safetensors\"}}")
            .contains("model-00009-of-00009.safetensors"))
        XCTAssertTrue(indexError("{\"weight_map\": {\"z\": \"model-00001-of-00002.safetensors\"}}")
            .contains("tensor 'z' is mapped to model-00001-of-00002.safetensors, which does not contain it"))
        XCTAssertTrue(indexError("{\"weight_map\": {\"x\": \"../x.safetensors\"}}").contains("not a plain file name"))
        let malformed = indexError("{\"metadata\": {}}")
        XCTAssertTrue(malformed.contains(index.path) && malformed.contains("weight_map"), malformed)
        try FileManager.default.removeItem(at: index)
        XCTAssertTrue(indexError("not json").contains("not a JSON object"))
        XCTAssertThrowsError(try SafetensorsShardedModel(directory: directory.appendingPathComponent("nothing")))
    }
}
