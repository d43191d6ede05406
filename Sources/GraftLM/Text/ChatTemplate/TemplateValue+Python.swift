/// Python/Jinja semantics of values: truth, `str()`, `repr()`, `==`, ordering, length, iteration.
extension TemplateValue {
    /// Python truthiness (Undefined is falsy).
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let value): return value
        case .int(let value): return value != 0
        case .double(let value): return value != 0
        case .string(let value): return !value.isEmpty
        case .array(let value): return !value.isEmpty
        case .dictionary(let value): return value.count > 0
        case .namespace, .callable: return true
        }
    }

    /// Python `str()` as Jinja prints it (Undefined prints as the empty string).
    var pythonString: String {
        switch self {
        case .undefined: return ""
        case .string(let value): return value
        default: return pythonRepr
        }
    }

    /// Python `repr()`.
    var pythonRepr: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "None"
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return String(value)
        case .double(let value): return pythonFloatRepr(value)
        case .string(let value): return pythonStringRepr(value)
        case .array(let items): return "[" + items.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .dictionary(let dictionary):
            return "{" + dictionary.entries.map { pythonStringRepr($0.key) + ": " + $0.value.pythonRepr }
                .joined(separator: ", ") + "}"
        case .namespace(let namespace):
            return "<Namespace " + TemplateValue.dictionary(namespace.attributes).pythonRepr + ">"
        case .callable: return "<function>"
        }
    }

    /// A numeric view (bool counts as int, as in Python).
    enum Number {
        case int(Int)
        case double(Double)

        var asDouble: Double {
            switch self {
            case .int(let value): return Double(value)
            case .double(let value): return value
            }
        }
    }

    var number: Number? {
        switch self {
        case .bool(let value): return .int(value ? 1 : 0)
        case .int(let value): return .int(value)
        case .double(let value): return .double(value)
        default: return nil
        }
    }

    /// Python `==` (deep for lists and dicts; `1 == 1.0 == True`; Undefined equals only Undefined).
    func pythonEquals(_ other: TemplateValue) -> Bool {
        if let left = number, let right = other.number {
            if case .int(let a) = left, case .int(let b) = right { return a == b }
            return left.asDouble == right.asDouble
        }
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.pythonEquals($1) }
        case (.dictionary(let a), .dictionary(let b)):
            guard a.count == b.count else { return false }
            return a.entries.allSatisfy { entry in b[entry.key].map { entry.value.pythonEquals($0) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        default: return false
        }
    }

    /// Python ordering for `<`: numbers, strings (by code point) and lists; anything else is a TypeError.
    func pythonLess(than other: TemplateValue) throws -> Bool {
        if let left = number, let right = other.number {
            if case .int(let a) = left, case .int(let b) = right { return a < b }
            return left.asDouble < right.asDouble
        }
        switch (self, other) {
        case (.string(let a), .string(let b)):
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
        case (.array(let a), .array(let b)):
            for (x, y) in zip(a, b) where !x.pythonEquals(y) { return try x.pythonLess(than: y) }
            return a.count < b.count
        case (.undefined(let name), _), (_, .undefined(let name)):
            throw templateRuntimeError(name)
        default:
            throw templateRuntimeError(
                "'<' not supported between instances of '\(typeName)' and '\(other.typeName)'")
        }
    }

    /// Python `len()`; strings count code points.
    func pythonLength() throws -> Int {
        switch self {
        case .undefined: return 0
        case .string(let value): return value.unicodeScalars.count
        case .array(let value): return value.count
        case .dictionary(let value): return value.count
        default: throw templateRuntimeError("object of type '\(typeName)' has no len()")
        }
    }

    /// The items a `for` loop sees: list items, dict keys, string characters; Undefined is empty.
    func iterationItems() throws -> [TemplateValue] {
        switch self {
        case .undefined: return []
        case .array(let items): return items
        case .dictionary(let dictionary): return dictionary.keys.map { .string($0) }
        case .string(let text): return text.unicodeScalars.map { .string(String($0)) }
        case .namespace(let namespace): return namespace.attributes.keys.map { .string($0) }
        default: throw templateRuntimeError("'\(typeName)' object is not iterable")
        }
    }

    /// Python `in`: substring, list membership, dict key.
    func pythonContains(_ item: TemplateValue) throws -> Bool {
        switch self {
        case .string(let text):
            guard case .string(let needle) = item else {
                throw templateRuntimeError("'in <string>' requires string as left operand, not \(item.typeName)")
            }
            return needle.isEmpty || text.range(of: needle, options: .literal) != nil
        case .array(let items): return items.contains { $0.pythonEquals(item) }
        case .dictionary(let dictionary):
            guard case .string(let key) = item else { return false }
            return dictionary[key] != nil
        case .undefined: return false
        default: throw templateRuntimeError("argument of type '\(typeName)' is not iterable")
        }
    }
}
