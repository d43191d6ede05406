import Foundation

/// Typed access to parsed JSON (`JSONSerialization` output) whose failures name the file and
/// the field path.
struct TokenizerJSONFields {
    let source: String

    /// Reads and parses a JSON file whose top level is an object.
    static func load(_ url: URL) throws -> (fields: TokenizerJSONFields, root: [String: Any]) {
        let fields = TokenizerJSONFields(source: url.path)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadable(source: url.path, reason: error.localizedDescription)
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw TokenizerError.unreadable(source: url.path, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let root = parsed as? [String: Any] else {
            throw TokenizerError.malformed(source: url.path, field: "(top level)", problem: "is not a JSON object")
        }
        return (fields, root)
    }

    func malformed(_ field: String, _ problem: String) -> TokenizerError {
        .malformed(source: source, field: field, problem: problem)
    }

    func unsupported(_ field: String, _ value: Any) -> TokenizerError {
        .unsupported(source: source, field: field, value: "\(value)")
    }

    /// Whether the value is absent or JSON null.
    func isNull(_ value: Any?) -> Bool {
        value == nil || value is NSNull
    }

    func object(_ value: Any?, _ field: String) throws -> [String: Any] {
        guard let object = value as? [String: Any] else { throw malformed(field, "is missing or not an object") }
        return object
    }

    func array(_ value: Any?, _ field: String) throws -> [Any] {
        guard let array = value as? [Any] else { throw malformed(field, "is missing or not an array") }
        return array
    }

    func string(_ value: Any?, _ field: String) throws -> String {
        guard let string = value as? String else { throw malformed(field, "is missing or not a string") }
        return string
    }

    /// A string, or nil when absent or null.
    func optionalString(_ value: Any?, _ field: String) throws -> String? {
        if isNull(value) { return nil }
        return try string(value, field)
    }

    /// A boolean, or `defaultValue` when absent or null.
    func bool(_ value: Any?, _ field: String, default defaultValue: Bool) throws -> Bool {
        if isNull(value) { return defaultValue }
        if let bool = value as? Bool { return bool }
        throw malformed(field, "is not a boolean")
    }

    /// A non-negative integer token id that fits in Int32.
    func tokenID(_ value: Any?, _ field: String) throws -> Int32 {
        guard let number = value as? NSNumber else {
            throw malformed(field, "is missing or not a number")
        }
        let double = number.doubleValue
        guard double >= 0, double <= Double(Int32.max), double == double.rounded() else {
            throw malformed(field, "is \(number), not a valid token id")
        }
        return Int32(double)
    }
}
