import Foundation
import GraftIO
import XCTest

/// Fixture access for the safetensors tests (files made by `scripts/fixtures/safetensors.py`).
enum SafetensorsTestSupport {
    /// `Fixtures/safetensors/<name>` inside the test bundle.
    static func fixture(_ name: String) throws -> URL {
        let root = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil),
                                 "test bundle has no Fixtures folder")
        let url = root.appendingPathComponent("safetensors").appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("missing fixture \(url.path): run scripts/fixtures/safetensors.py")
        }
        return url
    }

    static func json(_ name: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: fixture(name))) as? [String: Any])
    }

    /// Bytes from the fixtures' hex strings.
    static func bytes(hex: String) -> Data {
        var data = Data(capacity: hex.count / 2)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            data.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return data
    }

    /// Checks every tensor described in `expected` (name → {dtype, shape, data_offsets,
    /// values, hex}) against `lookup`.
    static func assertTensors(_ expected: [String: Any], info: (String) throws -> SafetensorsTensorInfo,
                              floats: (String) throws -> [Float], raw: (String) throws -> Data,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        for (name, value) in expected {
            let entry = try XCTUnwrap(value as? [String: Any])
            let tensor = try info(name)
            XCTAssertEqual(tensor.dtype.rawValue, entry["dtype"] as? String, name, file: file, line: line)
            XCTAssertEqual(tensor.shape, entry["shape"] as? [Int], name, file: file, line: line)
            let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
            XCTAssertEqual(tensor.dataOffsets, offsets[0]..<offsets[1], name, file: file, line: line)
            XCTAssertEqual(try raw(name), bytes(hex: try XCTUnwrap(entry["hex"] as? String)), name, file: file, line: line)
            let values = try XCTUnwrap(entry["values"] as? [Any]).map(HDF5TestSupport.exactDouble)
            XCTAssertEqual(try floats(name), values.map { Float($0) }, name, file: file, line: line)
        }
    }
}
