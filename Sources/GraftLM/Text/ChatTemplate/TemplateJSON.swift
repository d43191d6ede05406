/// JSON in and out of `TemplateValue`, byte-compatible with Python's `json.dumps` as transformers'
/// `tojson` filter calls it, and an order-preserving JSON reader (Python dicts keep key order).
extension TemplateValue {
    /// Serializes like `json.dumps(value, ensure_ascii=ensureASCII, indent=indent,
    /// separators=separators, sort_keys=sortKeys)`.
    public func jsonString(indent: Int? = nil, ensureASCII: Bool = false, sortKeys: Bool = false,
                           separators: (item: String, key: String)? = nil) throws -> String {
        let itemSeparator = separators?.item ?? (indent == nil ? ", " : ",")
        let keySeparator = separators?.key ?? ": "
        var output = ""
        try writeJSON(into: &output, indent: indent, level: 0, ensureASCII: ensureASCII, sortKeys: sortKeys,
                      itemSeparator: itemSeparator, keySeparator: keySeparator)
        return output
    }

    private func writeJSON(into output: inout String, indent: Int?, level: Int, ensureASCII: Bool,
                           sortKeys: Bool, itemSeparator: String, keySeparator: String) throws {
        func newline(_ depth: Int) {
            if let indent { output += "\n" + String(repeating: " ", count: indent * depth) }
        }
        switch self {
        case .none: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .double(let value):
            if value.isNaN { output += "NaN" } else if value.isInfinite {
                output += value < 0 ? "-Infinity" : "Infinity"
            } else { output += pythonFloatRepr(value) }
        case .string(let value): writeJSONString(value, into: &output, ensureASCII: ensureASCII)
        case .array(let items):
            guard !items.isEmpty else { output += "[]"; return }
            output += "["
            for (offset, item) in items.enumerated() {
                if offset > 0 { output += itemSeparator }
                newline(level + 1)
                try item.writeJSON(into: &output, indent: indent, level: level + 1, ensureASCII: ensureASCII,
                                   sortKeys: sortKeys, itemSeparator: itemSeparator, keySeparator: keySeparator)
            }
            newline(level)
            output += "]"
        case .dictionary(let dictionary):
            guard dictionary.count > 0 else { output += "{}"; return }
            var entries = dictionary.entries
            if sortKeys {
                entries.sort { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
            }
            output += "{"
            for (offset, entry) in entries.enumerated() {
                if offset > 0 { output += itemSeparator }
                newline(level + 1)
                writeJSONString(entry.key, into: &output, ensureASCII: ensureASCII)
                output += keySeparator
                try entry.value.writeJSON(into: &output, indent: indent, level: level + 1,
                                          ensureASCII: ensureASCII, sortKeys: sortKeys,
                                          itemSeparator: itemSeparator, keySeparator: keySeparator)
            }
            newline(level)
            output += "}"
        case .undefined, .namespace, .callable:
            throw templateRuntimeError("Object of type \(typeName) is not JSON serializable")
        }
    }
}

private func writeJSONString(_ text: String, into output: inout String, ensureASCII: Bool) {
    output += "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": output += "\\\""
        case "\\": output += "\\\\"
        case "\n": output += "\\n"
        case "\r": output += "\\r"
        case "\t": output += "\\t"
        case "\u{08}": output += "\\b"
        case "\u{0C}": output += "\\f"
        default:
            if scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7E) {
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
    }
    output += "\""
}

/// Errors reading JSON into template values.
public struct TemplateJSONError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and at which character offset.
    public let description: String
}

extension TemplateValue {
    /// Parses JSON text, keeping object keys in document order (integers become `.int`,
    /// numbers with a fraction or exponent `.double`, as Python's `json.loads` does).
    public init(json text: String) throws {
        var reader = JSONReader(scalars: Array(text.unicodeScalars))
        self = try reader.readDocument()
    }
}

private struct JSONReader {
    let scalars: [Unicode.Scalar]
    var index = 0

    func fail(_ message: String) -> TemplateJSONError {
        TemplateJSONError(description: "invalid JSON at character \(index): \(message)")
    }

    mutating func skipWhitespace() {
        while index < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[index]) { index += 1 }
    }

    mutating func readDocument() throws -> TemplateValue {
        let value = try readValue()
        skipWhitespace()
        guard index == scalars.count else { throw fail("unexpected trailing characters") }
        return value
    }

    mutating func consume(_ literal: String) -> Bool {
        let literalScalars = Array(literal.unicodeScalars)
        guard index + literalScalars.count <= scalars.count,
              Array(scalars[index..<(index + literalScalars.count)]) == literalScalars else { return false }
        index += literalScalars.count
        return true
    }

    mutating func readValue() throws -> TemplateValue {
        skipWhitespace()
        guard index < scalars.count else { throw fail("unexpected end of input") }
        switch scalars[index] {
        case "{":
            index += 1
            var dictionary = TemplateDictionary()
            skipWhitespace()
            if consume("}") { return .dictionary(dictionary) }
            while true {
                skipWhitespace()
                guard index < scalars.count, scalars[index] == "\"" else { throw fail("expected object key") }
                let key = try readString()
                skipWhitespace()
                guard consume(":") else { throw fail("expected ':'") }
                dictionary[key] = try readValue()
                skipWhitespace()
                if consume("}") { return .dictionary(dictionary) }
                guard consume(",") else { throw fail("expected ',' or '}'") }
            }
        case "[":
            index += 1
            var items: [TemplateValue] = []
            skipWhitespace()
            if consume("]") { return .array(items) }
            while true {
                items.append(try readValue())
                skipWhitespace()
                if consume("]") { return .array(items) }
                guard consume(",") else { throw fail("expected ',' or ']'") }
            }
        case "\"": return .string(try readString())
        case "t": if consume("true") { return .bool(true) }
        case "f": if consume("false") { return .bool(false) }
        case "n": if consume("null") { return .none }
        default: return try readNumber()
        }
        throw fail("unexpected literal")
    }

    mutating func readString() throws -> String {
        index += 1
        var result = String.UnicodeScalarView()
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            if scalar == "\"" { return String(result) }
            guard scalar == "\\" else { result.append(scalar); continue }
            guard index < scalars.count else { break }
            let code = scalars[index]
            index += 1
            switch code {
            case "n": result.append("\n")
            case "t": result.append("\t")
            case "r": result.append("\r")
            case "b": result.append("\u{08}")
            case "f": result.append("\u{0C}")
            case "/", "\\", "\"": result.append(code)
            case "u":
                var unit = try readHex4()
                if (0xD800..<0xDC00).contains(unit), consume("\\u") {
                    let low = try readHex4()
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let decoded = Unicode.Scalar(unit) else { throw fail("invalid \\u escape") }
                result.append(decoded)
            default: throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }

    mutating func readHex4() throws -> UInt32 {
        guard index + 4 <= scalars.count else { throw fail("short \\u escape") }
        var value: UInt32 = 0
        for scalar in scalars[index..<(index + 4)] {
            guard let digit = Character(scalar).hexDigitValue else { throw fail("bad hex digit") }
            value = value * 16 + UInt32(digit)
        }
        index += 4
        return value
    }

    mutating func readNumber() throws -> TemplateValue {
        let start = index
        var isFloat = false
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "." || scalar == "e" || scalar == "E" { isFloat = true }
            guard isASCIIDigit(scalar) || "+-.eE".unicodeScalars.contains(scalar) else { break }
            index += 1
        }
        let text = String(String.UnicodeScalarView(scalars[start..<index]))
        if !isFloat, let value = Int(text) { return .int(value) }
        guard !text.isEmpty, let value = Double(text) else { throw fail("invalid number '\(text)'") }
        return .double(value)
    }
}
