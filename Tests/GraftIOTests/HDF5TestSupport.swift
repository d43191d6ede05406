import Foundation
import GraftIO
import XCTest

/// Shared helpers for the HDF5 tests: fixture lookup, temporary directories, and a checker
/// that compares an HDF5 group against the JSON tree dumped by `scripts/fixtures/hdf5.py`.
enum HDF5TestSupport {
    /// `Fixtures/hdf5/<name>` inside the test bundle.
    static func fixture(_ name: String) throws -> URL {
        let root = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil),
                                 "test bundle has no Fixtures folder")
        let url = root.appendingPathComponent("hdf5").appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("missing fixture \(url.path): run scripts/fixtures/hdf5.py")
        }
        return url
    }

    /// Parses a JSON fixture into a dictionary.
    static func jsonFixture(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixture(name))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// A fresh empty directory, removed by the test case's teardown block.
    static func temporaryDirectory(for testCase: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("graft-hdf5-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Asserts that `group` holds exactly what the h5py JSON `tree` describes: same children,
    /// attributes, dataset types, shapes and values (bit-exact for floats).
    static func assertGroup(_ group: HDF5Group, matches tree: [String: Any],
                            file: StaticString = #filePath, line: UInt = #line) throws {
        try assertAttributes(of: group, match: tree["attrs"] as? [String: Any] ?? [:], file: file, line: line)
        let children = try XCTUnwrap(tree["children"] as? [String: Any], "tree of \(group.path) has no children")
        XCTAssertEqual(try group.children(), children.keys.sorted(), "children of \(group.path)", file: file, line: line)
        for (name, value) in children {
            let node = try XCTUnwrap(value as? [String: Any])
            if node["kind"] as? String == "group" {
                XCTAssertEqual(try group.kind(of: name), .group, file: file, line: line)
                try assertGroup(try group.group(name), matches: node, file: file, line: line)
            } else {
                XCTAssertEqual(try group.kind(of: name), .dataset, file: file, line: line)
                try assertDataset(try group.dataset(name), matches: node, file: file, line: line)
            }
        }
    }

    static func assertAttributes(of object: HDF5Object, match attributes: [String: Any],
                                 file: StaticString, line: UInt) throws {
        XCTAssertEqual(try object.attributeNames(), attributes.keys.sorted(), "attributes of \(object.path)",
                       file: file, line: line)
        for (name, value) in attributes {
            let entry = try XCTUnwrap(value as? [String: Any])
            let expected: HDF5AttributeValue
            switch entry["type"] as? String {
            case "int64": expected = .int64(try XCTUnwrap((entry["value"] as? NSNumber)?.int64Value))
            case "float64": expected = .double(try exactDouble(entry["value"]))
            default: expected = .string(try XCTUnwrap(entry["value"] as? String))
            }
            XCTAssertEqual(try object.attribute(name), expected, "attribute \(object.path)@\(name)",
                           file: file, line: line)
        }
    }

    /// A double from the fixture JSON, where floats are stored as repr strings (parsed exactly
    /// by `Double(String)`); integers may be plain numbers.
    static func exactDouble(_ value: Any?) throws -> Double {
        if let text = value as? String { return try XCTUnwrap(Double(text), "bad float text \(text)") }
        return try XCTUnwrap(value as? NSNumber, "not a number: \(String(describing: value))").doubleValue
    }

    static func assertDataset(_ dataset: HDF5Dataset, matches node: [String: Any],
                              file: StaticString, line: UInt) throws {
        let shape = try XCTUnwrap(node["shape"] as? [Int])
        XCTAssertEqual(dataset.shape, shape, "shape of \(dataset.path)", file: file, line: line)
        try assertAttributes(of: dataset, match: node["attrs"] as? [String: Any] ?? [:], file: file, line: line)
        let dtype = try XCTUnwrap(node["dtype"] as? String)
        if dtype == "string" {
            XCTAssertEqual(try dataset.readString(), node["value"] as? String, "string \(dataset.path)",
                           file: file, line: line)
            let variable = node["variable_length"] as? Bool ?? false
            XCTAssertEqual(dataset.storedType == .variableLengthString, variable, file: file, line: line)
            return
        }
        let message = "values of \(dataset.path)"
        let numbers = (node["values"] as? [NSNumber]) ?? []
        let reals = try (node["values"] as? [Any] ?? []).map { try exactDouble($0) }
        switch dtype {
        case "float32":
            XCTAssertEqual(dataset.storedType, .float(bytes: 4), file: file, line: line)
            XCTAssertEqual(try dataset.read(as: Float.self).values, reals.map { Float($0) },
                           message, file: file, line: line)
        case "float64":
            XCTAssertEqual(dataset.storedType, .float(bytes: 8), file: file, line: line)
            XCTAssertEqual(try dataset.read(as: Double.self).values, reals, message,
                           file: file, line: line)
        case "int32":
            XCTAssertEqual(dataset.storedType, .integer(bytes: 4, signed: true), file: file, line: line)
            XCTAssertEqual(try dataset.read(as: Int32.self).values, numbers.map(\.int32Value), message,
                           file: file, line: line)
        case "int64":
            XCTAssertEqual(dataset.storedType, .integer(bytes: 8, signed: true), file: file, line: line)
            XCTAssertEqual(try dataset.read(as: Int64.self).values, numbers.map(\.int64Value), message,
                           file: file, line: line)
        case "uint8":
            XCTAssertEqual(dataset.storedType, .integer(bytes: 1, signed: false), file: file, line: line)
            XCTAssertEqual(try dataset.read(as: UInt8.self).values, numbers.map(\.uint8Value), message,
                           file: file, line: line)
        case "uint32":
            XCTAssertEqual(dataset.storedType, .integer(bytes: 4, signed: false), file: file, line: line)
            XCTAssertEqual(try dataset.read(as: UInt32.self).values, numbers.map(\.uint32Value), message,
                           file: file, line: line)
        default:
            XCTFail("unexpected dtype \(dtype) at \(dataset.path)", file: file, line: line)
        }
    }
}
