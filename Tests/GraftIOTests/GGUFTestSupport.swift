import Foundation
import GraftIO
import XCTest

/// Shared helpers for the GGUF tests: fixture and model locations, JSON facts, comparisons.
enum GGUFTestSupport {
    /// Folder of the committed fixtures made by scripts/fixtures/gguf.py.
    static var fixtureDirectory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("gguf")
    }

    static func fixturePath(_ name: String) -> String {
        fixtureDirectory.appendingPathComponent(name).path
    }

    /// `${GRAFT_CACHE:-$HOME/.cache/graft}/models/SmolLM2-135M-Instruct.Q4_1.gguf`.
    static var modelPath: String {
        let env = ProcessInfo.processInfo.environment
        let cache = env["GRAFT_CACHE"] ?? (NSHomeDirectory() + "/.cache/graft")
        return cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    /// The real model's path, failing the test with a clear message when it is missing.
    static func requireModel(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = modelPath
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("model file missing: \(path) (run scripts/fetch-model.sh)", file: file, line: line)
            throw XCTSkip("model missing")
        }
        return path
    }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixtureDirectory.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// A fresh temporary directory, removed by the caller's `addTeardownBlock`.
    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("graft-gguf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The F32 tensor `name` of a reference file as floats.
    static func referenceFloats(_ file: GGUFFile, _ name: String) throws -> [Float] {
        let tensor = try file.requireTensor(name)
        XCTAssertEqual(tensor.type, .f32, name)
        return try tensor.floats()
    }

    /// The I32 tensor `name` of a reference file reinterpreted as `UInt32` words.
    static func referenceWords(_ file: GGUFFile, _ name: String) throws -> [UInt32] {
        let tensor = try file.requireTensor(name)
        XCTAssertEqual(tensor.type, .i32, name)
        let data = tensor.data
        return (0 ..< data.count / 4).map { UInt32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
    }

    /// Asserts two float arrays are bit-identical (reporting the first difference).
    static func assertBitIdentical(_ actual: [Float], _ expected: [Float], _ label: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "\(label): count", file: file, line: line)
        for i in 0 ..< min(actual.count, expected.count) where actual[i].bitPattern != expected[i].bitPattern {
            XCTFail("\(label): element \(i) is \(actual[i]), expected \(expected[i])", file: file, line: line)
            return
        }
    }

    /// Asserts two float arrays are equal as values (`==`, so +0 equals −0; NaN equals NaN).
    static func assertEqualValues(_ actual: [Float], _ expected: [Float], _ label: String,
                                  file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "\(label): count", file: file, line: line)
        for i in 0 ..< min(actual.count, expected.count)
            where actual[i] != expected[i] && !(actual[i].isNaN && expected[i].isNaN) {
            XCTFail("\(label): element \(i) is \(actual[i]), expected \(expected[i])", file: file, line: line)
            return
        }
    }

    /// Asserts `actual` is within `relative` of `expected` (relative to |expected|, or absolute near 0).
    static func assertClose(_ actual: Double, _ expected: Double, relative: Double, _ label: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        let tolerance = relative * max(abs(expected), 1e-12)
        XCTAssertLessThanOrEqual(abs(actual - expected), tolerance,
                                 "\(label): \(actual) vs expected \(expected)", file: file, line: line)
    }

    /// Sum and sum of squares in Double.
    static func checksums(_ values: [Float]) -> (sum: Double, sumOfSquares: Double) {
        var sum = 0.0, squares = 0.0
        for v in values {
            let d = Double(v)
            sum += d
            squares += d * d
        }
        return (sum, squares)
    }

    /// Order-sensitive wrapping checksums of words (as the fixture script computes them).
    static func wordChecksums(_ words: [UInt32]) -> (sum: UInt64, weightedSum: UInt64) {
        var sum: UInt64 = 0, weighted: UInt64 = 0
        for (i, w) in words.enumerated() {
            sum &+= UInt64(w)
            weighted &+= UInt64(w) &* UInt64(i + 1)
        }
        return (sum, weighted)
    }

    /// Checks one metadata value against its fixture record (see `encode_element` in gguf.py).
    static func assertMetadata(_ value: GGUFValue?, matches record: [String: Any], key: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        guard let value else { return XCTFail("\(key): missing", file: file, line: line) }
        let typeName = record["type"] as! String
        XCTAssertEqual(value.type.description, typeName, "\(key): type", file: file, line: line)
        if case let .array(array) = value {
            XCTAssertEqual(array.elementType.description, record["element_type"] as? String, "\(key): element type",
                           file: file, line: line)
            XCTAssertEqual(array.count, record["count"] as? Int, "\(key): count", file: file, line: line)
            let elements = encodedElements(array)
            if let all = record["value"] as? [Any] {
                XCTAssertEqual(elements, all.map(fixtureString), key, file: file, line: line)
            } else {
                let head = (record["head"] as! [Any]).map(fixtureString)
                let tail = (record["tail"] as! [Any]).map(fixtureString)
                XCTAssertEqual(Array(elements.prefix(head.count)), head, "\(key): head", file: file, line: line)
                XCTAssertEqual(Array(elements.suffix(tail.count)), tail, "\(key): tail", file: file, line: line)
                XCTAssertEqual(elements[record["middle_index"] as! Int], fixtureString(record["middle"]!), "\(key): middle",
                               file: file, line: line)
            }
        } else {
            XCTAssertEqual(encodedScalar(value), fixtureString(record["value"]!), key, file: file, line: line)
        }
    }

    private static func hex<T: BinaryInteger>(_ bits: T, width: Int) -> String {
        let s = String(bits, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    private static func bool(_ b: Bool) -> String { b ? "1" : "0" }

    /// A JSON fixture element as the string `encodedScalar` produces (strings as is, bools as 1/0).
    static func fixtureString(_ any: Any) -> String {
        if let s = any as? String { return s }
        if let b = any as? Bool { return bool(b) }
        return "\(any)"
    }

    static func encodedScalar(_ value: GGUFValue) -> String {
        switch value {
        case .string(let s): return s
        case .bool(let b): return bool(b)
        case .float32(let f): return hex(f.bitPattern, width: 8)
        case .float64(let d): return hex(d.bitPattern, width: 16)
        case .uint64(let v): return String(v)
        case .array: return "array"
        default: return String(value.intValue!)
        }
    }

    static func encodedElements(_ array: GGUFArray) -> [String] {
        switch array {
        case .string(let a): return a
        case .bool(let a): return a.map(bool)
        case .float32(let a): return a.map { hex($0.bitPattern, width: 8) }
        case .float64(let a): return a.map { hex($0.bitPattern, width: 16) }
        case .uint64(let a): return a.map { String($0) }
        default: return array.intValues!.map { String($0) }
        }
    }
}
