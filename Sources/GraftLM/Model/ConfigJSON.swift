import Foundation

/// A JSON value decoded strictly: booleans stay booleans, numbers stay numbers.
enum ConfigValue: Decodable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([ConfigValue])
    case object([String: ConfigValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let d = try? container.decode(Double.self) { self = .number(d) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([ConfigValue].self) { self = .array(a) }
        else { self = .object(try container.decode([String: ConfigValue].self)) }
    }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .object: return "a JSON object"
        }
    }
}

/// Typed reads from a JSON object of a configuration file; failures name the file and the
/// dotted key (`rope_parameters.factor`).
struct ConfigJSON {
    let values: [String: ConfigValue]
    let file: String
    /// Key prefix for error messages ("" or "rope_parameters.").
    let prefix: String

    init(values: [String: ConfigValue], file: String, prefix: String) {
        self.values = values
        self.file = file
        self.prefix = prefix
    }

    /// Parses `data`, whose top level must be an object.
    init(data: Data, file: String) throws {
        let value: ConfigValue
        do {
            value = try JSONDecoder().decode(ConfigValue.self, from: data)
        } catch {
            throw ModelError.unreadableConfig(file: file, reason: "not valid JSON")
        }
        guard case .object(let dictionary) = value else {
            throw ModelError.unreadableConfig(file: file, reason: "the top level is not a JSON object")
        }
        self.init(values: dictionary, file: file, prefix: "")
    }

    private func wrong(_ key: String, _ value: ConfigValue, _ expected: String) -> ModelError {
        .invalidValue(file: file, key: prefix + key, problem: "is \(value), expected \(expected)")
    }

    /// The value, or nil when absent or null.
    private func raw(_ key: String) -> ConfigValue? {
        guard let value = values[key] else { return nil }
        if case .null = value { return nil }
        return value
    }

    func string(_ key: String) throws -> String? {
        guard let value = raw(key) else { return nil }
        guard case .string(let s) = value else { throw wrong(key, value, "a string") }
        return s
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = raw(key) else { return nil }
        guard case .bool(let b) = value else { throw wrong(key, value, "true or false") }
        return b
    }

    func int(_ key: String) throws -> Int? {
        guard let value = raw(key) else { return nil }
        guard case .number(let d) = value, let i = Int(exactly: d) else { throw wrong(key, value, "an integer") }
        return i
    }

    func double(_ key: String) throws -> Double? {
        guard let value = raw(key) else { return nil }
        guard case .number(let d) = value else { throw wrong(key, value, "a number") }
        return d
    }

    /// An integer or a list of integers (as `eos_token_id` may be).
    func intList(_ key: String) throws -> [Int]? {
        guard let value = raw(key) else { return nil }
        if case .array(let items) = value {
            return try items.map { item in
                guard case .number(let d) = item, let i = Int(exactly: d) else { throw wrong(key, value, "integers") }
                return i
            }
        }
        return try int(key).map { [$0] }
    }

    func object(_ key: String) throws -> ConfigJSON? {
        guard let value = raw(key) else { return nil }
        guard case .object(let d) = value else { throw wrong(key, value, "a JSON object") }
        return ConfigJSON(values: d, file: file, prefix: prefix + key + ".")
    }

    func requiredInt(_ key: String) throws -> Int {
        guard let v = try int(key) else { throw ModelError.missingKey(file: file, key: prefix + key) }
        return v
    }

    func requiredDouble(_ key: String) throws -> Double {
        guard let v = try double(key) else { throw ModelError.missingKey(file: file, key: prefix + key) }
        return v
    }
}
