import Foundation
import Graft

/// A JSON value decoded strictly (booleans stay booleans, numbers stay numbers).
enum AdapterJSONValue: Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([AdapterJSONValue])
    case object([String: AdapterJSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([AdapterJSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: AdapterJSONValue].self)) }
    }
}

/// The top-level object of an adapter folder's JSON configuration, with typed reads whose
/// errors name the file and the key.
struct AdapterJSON {
    let values: [String: AdapterJSONValue]
    let file: String

    /// Reads and parses the file at `url`.
    init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw AdapterError(file: url.path, problem: "cannot be read (missing or unreadable)")
        }
        self.file = url.path
        guard let value = try? JSONDecoder().decode(AdapterJSONValue.self, from: data), case .object(let d) = value else {
            throw AdapterError(file: url.path, problem: "is not a JSON object")
        }
        values = d
    }

    private init(values: [String: AdapterJSONValue], file: String) {
        self.values = values
        self.file = file
    }

    private func present(_ key: String) -> AdapterJSONValue? {
        if case .null? = values[key] { return nil }
        return values[key]
    }

    private func wrong(_ key: String, _ expected: String) -> AdapterError {
        AdapterError(file: file, problem: "'\(key)' has the wrong type, expected \(expected)")
    }

    func number(_ key: String) throws -> Double? {
        guard let v = present(key) else { return nil }
        guard case .number(let d) = v else { throw wrong(key, "a number") }
        return d
    }

    func int(_ key: String) throws -> Int? {
        guard let d = try number(key) else { return nil }
        guard let i = Int(exactly: d) else { throw wrong(key, "an integer") }
        return i
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = present(key) else { return nil }
        guard case .bool(let b) = v else { throw wrong(key, "true or false") }
        return b
    }

    func string(_ key: String) throws -> String? {
        guard let v = present(key) else { return nil }
        guard case .string(let s) = v else { throw wrong(key, "a string") }
        return s
    }

    /// A list of strings, or a single string as a one-item list.
    func strings(_ key: String) throws -> [String]? {
        guard let v = present(key) else { return nil }
        if case .string(let s) = v { return [s] }
        guard case .array(let items) = v else { throw wrong(key, "a list of strings") }
        return try items.map { item in
            guard case .string(let s) = item else { throw wrong(key, "a list of strings") }
            return s
        }
    }

    func object(_ key: String) throws -> AdapterJSON? {
        guard let v = present(key) else { return nil }
        guard case .object(let d) = v else { throw wrong(key, "a JSON object") }
        return AdapterJSON(values: d, file: file)
    }

    /// True when `key` holds a non-empty object or list.
    func isNonEmpty(_ key: String) -> Bool {
        switch present(key) {
        case .object(let d)?: return !d.isEmpty
        case .array(let a)?: return !a.isEmpty
        default: return false
        }
    }

    /// Writes `object` as pretty-printed JSON with sorted keys (atomically).
    static func write(_ object: [String: Any], to url: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicFile.write(data + Data("\n".utf8), to: url)
    }
}

/// Conversions between adapter tensors and the float arrays files store.
enum AdapterTensorData {
    /// The tensor's values as float32, row-major.
    static func floats(_ tensor: Tensor) -> [Float] { tensor.astype(.float32).toArray(as: Float.self) }

    /// The transpose of a 2-D tensor, as row-major floats.
    static func transposedFloats(_ tensor: Tensor) -> [Float] {
        precondition(tensor.ndim == 2)
        let (rows, cols) = (tensor.shape[0], tensor.shape[1])
        let values = floats(tensor)
        var out = [Float](repeating: 0, count: values.count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = values[r * cols + c] } }
        return out
    }
}
