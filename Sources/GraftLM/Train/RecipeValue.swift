import Foundation
import Yams

/// A recipe value after type checking against its `RecipeValueKind`.
enum RecipeValue: Sendable, Equatable {
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case text(String)
    case list([String])
    case all
    case pair(Double, Double)
    case null
}

/// Turns one YAML node into a typed value, or a precise error. Types come from the schema, not
/// from YAML's own resolution, so `1e-4` is a number (YAML 1.1 would call it a string) and a
/// quoted `"8"` is not an integer.
struct RecipeValueReader {
    /// Where the node is (for errors).
    let locate: (Node) -> RecipeLocation
    /// Environment for `${VAR}` expansion in paths.
    let environment: [String: String]

    func read(_ node: Node, kind: RecipeValueKind, keyPath: String) throws -> RecipeValue {
        let location = locate(node)
        func wrongType() -> RecipeError {
            RecipeError(.wrongType, at: location, keyPath: keyPath,
                        "expected \(kind.expectation), got \(Self.describe(node))")
        }
        func invalid(_ message: String, suggestion: String? = nil) -> RecipeError {
            RecipeError(.invalidValue, at: location, keyPath: keyPath, message, suggestion: suggestion)
        }
        switch kind {
        case let .integer(minimum, maximum):
            guard let n = Self.plainText(node).flatMap({ Int($0) }) else { throw wrongType() }
            if n < minimum { throw invalid("must be at least \(minimum), got \(n)") }
            if n > maximum { throw invalid("must be at most \(maximum), got \(n)") }
            return .integer(n)
        case .integerChoice(let allowed):
            guard let n = Self.plainText(node).flatMap({ Int($0) }) else { throw wrongType() }
            guard allowed.contains(n) else {
                throw invalid("must be one of \(allowed.map(String.init).joined(separator: ", ")), got \(n)")
            }
            return .integer(n)
        case .number(let range):
            let x = try number(node, range: range, wrongType: wrongType, invalid: { invalid($0) })
            return .number(x)
        case .optionalNumber(let range):
            if Self.isNull(node) { return .null }
            return .number(try number(node, range: range, wrongType: wrongType, invalid: { invalid($0) }))
        case .boolean:
            switch Self.plainText(node) {
            case "true", "True", "TRUE": return .boolean(true)
            case "false", "False", "FALSE": return .boolean(false)
            default: throw wrongType()
            }
        case .path:
            guard case .scalar(let scalar) = node, !Self.isNull(node), !scalar.string.isEmpty else { throw wrongType() }
            return .text(try expand(scalar.string, invalid: { invalid($0) }))
        case let .choice(names, aliases):
            guard case .scalar(let scalar) = node, !Self.isNull(node) else { throw wrongType() }
            return .text(try choose(scalar.string, names: names, aliases: aliases, invalid: invalid))
        case let .choiceList(names, aliases):
            guard case .sequence(let items) = node else { throw wrongType() }
            guard !items.isEmpty else { throw invalid("must name at least one of \(names.joined(separator: ", "))") }
            var chosen: [String] = []
            for item in items {
                let itemLocation = locate(item)
                guard case .scalar(let scalar) = item, !Self.isNull(item) else {
                    throw RecipeError(.wrongType, at: itemLocation, keyPath: keyPath,
                                      "expected \(kind.expectation), got an item that is \(Self.describe(item))")
                }
                let name = try choose(scalar.string, names: names, aliases: aliases) { message, suggestion in
                    RecipeError(.invalidValue, at: itemLocation, keyPath: keyPath, message, suggestion: suggestion)
                }
                if chosen.contains(name) {
                    throw RecipeError(.invalidValue, at: itemLocation, keyPath: keyPath, "lists '\(name)' twice")
                }
                chosen.append(name)
            }
            return .list(chosen)
        case .integerOrAll(let minimum):
            let text = Self.plainText(node)
            if text == "all" { return .all }
            guard let n = text.flatMap({ Int($0) }) else { throw wrongType() }
            if n < minimum { throw invalid("must be at least \(minimum) or 'all', got \(n)") }
            return .integer(n)
        case .unitPair:
            guard case .sequence(let items) = node, items.count == 2 else { throw wrongType() }
            var values: [Double] = []
            for item in items {
                let itemLocation = locate(item)
                values.append(try number(item, range: .unitHalfOpen, wrongType: wrongType) { message in
                    RecipeError(.invalidValue, at: itemLocation, keyPath: keyPath, "each value " + message)
                })
            }
            return .pair(values[0], values[1])
        }
    }

    private func number(_ node: Node, range: RecipeNumberRange, wrongType: () -> RecipeError,
                        invalid: (String) -> RecipeError) throws -> Double {
        guard let x = Self.plainText(node).flatMap({ Double($0) }), x.isFinite else { throw wrongType() }
        if let problem = range.violation(x) { throw invalid("\(problem), got \(RecipeFormat.number(x))") }
        return x
    }

    private func choose(_ text: String, names: [String], aliases: [String: String],
                        invalid: (String, String?) -> RecipeError) throws -> String {
        if names.contains(text) { return text }
        let suggestion = aliases[text] ?? aliases[text.lowercased()] ?? RecipeSuggestion.closest(to: text, in: names)
        throw invalid("'\(text)' is not one of \(names.joined(separator: ", "))", suggestion)
    }

    /// Expands `${NAME}`, `${NAME:-default}` and then a leading `~`.
    private func expand(_ text: String, invalid: (String) -> RecipeError) throws -> String {
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw invalid("unterminated '${' in '\(text)'")
            }
            let body = rest[start.upperBound..<end]
            let parts = body.components(separatedBy: ":-")
            let name = parts[0]
            if let value = environment[name], !value.isEmpty {
                out += value
            } else if parts.count > 1 {
                out += parts.dropFirst().joined(separator: ":-")
            } else {
                throw invalid("environment variable \(name) is not set (write ${\(name):-default} to give a default)")
            }
            rest = rest[rest.index(after: end)...]
        }
        out += rest
        if out == "~" || out.hasPrefix("~/") {
            let home = environment["HOME"] ?? NSHomeDirectory()
            out = home + out.dropFirst()
        }
        return out
    }

    /// The text of a plain (unquoted) scalar.
    static func plainText(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return nil }
        return scalar.string
    }

    /// YAML's null: an empty value, `~` or `null`.
    static func isNull(_ node: Node) -> Bool {
        guard let text = plainText(node) else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(text)
    }

    /// How a node reads in an error: `'eight'`, `the quoted string "8"`, `a list`, `no value`.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if isNull(node) { return "no value (null)" }
            if plainText(node) != nil { return "'\(scalar.string)'" }
            return "the quoted string \"\(scalar.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}
