/// Jinja's built-in filters used by chat templates, with transformers' `tojson` override
/// (`json.dumps` with `ensure_ascii=False`, no HTML escaping, `indent` supported).
extension TemplateRenderer {
    func applyFilter(_ filter: TemplateFilterCall, to value: TemplateValue) throws -> TemplateValue {
        try applyFilter(filter.name, to: value, try evaluateArguments(filter.arguments))
    }

    func applyFilter(_ name: String, to value: TemplateValue, _ arguments: TemplateCallArguments) throws
        -> TemplateValue
    {
        switch name {
        case "trim":
            return .string(pythonStrip(value.pythonString, characters: try stringArgument(arguments, 0, "chars"),
                                       leading: true, trailing: true))
        case "length", "count":
            return .int(try value.pythonLength())
        case "tojson":
            return .string(try toJSON(value, arguments))
        case "upper": return .string(value.pythonString.uppercased())
        case "lower": return .string(value.pythonString.lowercased())
        case "title": return .string(jinjaTitle(value.pythonString))
        case "capitalize": return .string(pythonCapitalize(value.pythonString))
        case "replace":
            guard let old = try stringArgument(arguments, 0, "old"), let new = try stringArgument(arguments, 1, "new")
            else { throw templateRuntimeError("replace filter takes 2 string arguments") }
            var count = -1
            if case .int(let limit)? = arguments.value(2, "count")?.number { count = limit }
            return .string(pythonReplace(value.pythonString, old, new, count: count))
        case "join":
            var items = try value.iterationItems()
            if let attribute = try stringArgument(arguments, 1, "attribute") {
                items = try items.map { try attributePath(attribute, of: $0) }
            }
            return .string(items.map(\.pythonString).joined(separator: try stringArgument(arguments, 0, "d") ?? ""))
        case "first":
            return try value.iterationItems().first ?? .undefined("first item of an empty sequence")
        case "last":
            return try value.iterationItems().last ?? .undefined("last item of an empty sequence")
        case "default", "d":
            let useDefault = (arguments.value(1, "boolean")?.isTruthy ?? false) ? !value.isTruthy : value.isUndefined
            return useDefault ? (arguments.value(0, "default_value") ?? .string("")) : value
        case "items":
            switch value {
            case .undefined: return .array([])
            case .dictionary(let dictionary): return .array(dictionary.entries.map { .array([.string($0.key), $0.value]) })
            default: throw templateRuntimeError("can only get item pairs from a mapping")
            }
        case "list": return .array(try value.iterationItems())
        case "string": return .string(value.pythonString)
        case "safe": return value
        case "escape", "e": return .string(htmlEscape(value.pythonString))
        case "int": return toInt(value, arguments)
        case "float": return toFloat(value, arguments)
        case "abs":
            switch value.number {
            case .int(let number)?: return .int(abs(number))
            case .double(let number)?: return .double(abs(number))
            case nil: throw templateRuntimeError("bad operand type for abs(): '\(value.typeName)'")
            }
        case "reverse":
            if case .string(let text) = value { return .string(String(String.UnicodeScalarView(text.unicodeScalars.reversed()))) }
            return .array(try value.iterationItems().reversed())
        case "unique":
            var seen: [TemplateValue] = []
            for item in try value.iterationItems() where !seen.contains(where: { $0.pythonEquals(item) }) {
                seen.append(item)
            }
            return .array(seen)
        case "sort":
            var items = try value.iterationItems()
            let attribute = try stringArgument(arguments, 2, "attribute")
            func key(_ item: TemplateValue) throws -> TemplateValue {
                let keyed = try attribute.map { try attributePath($0, of: item) } ?? item
                if case .string(let text) = keyed, !(arguments.value(1, "case_sensitive")?.isTruthy ?? false) {
                    return .string(text.lowercased())
                }
                return keyed
            }
            var failure: Error?
            items.sort { a, b in
                do { return try key(a).pythonLess(than: key(b)) } catch { failure = error; return false }
            }
            if let failure { throw failure }
            return .array((arguments.value(0, "reverse")?.isTruthy ?? false) ? items.reversed() : items)
        case "sum":
            var total = arguments.value(1, "start") ?? .int(0)
            let attribute = try stringArgument(arguments, 0, "attribute")
            for item in try value.iterationItems() {
                total = try binary(.add, total, try attribute.map { try attributePath($0, of: item) } ?? item)
            }
            return total
        case "min", "max":
            let items = try value.iterationItems()
            guard var best = items.first else { return .undefined("\(name) of an empty sequence") }
            for item in items.dropFirst() where try (name == "min" ? item.pythonLess(than: best) : best.pythonLess(than: item)) {
                best = item
            }
            return best
        case "indent":
            return .string(indent(value.pythonString, arguments))
        case "selectattr", "rejectattr", "select", "reject":
            return try selectFilter(name, value, arguments)
        case "map":
            return try mapFilter(value, arguments)
        default:
            throw templateRuntimeError("no filter named '\(name)'")
        }
    }

    func toJSON(_ value: TemplateValue, _ arguments: TemplateCallArguments) throws -> String {
        var indent: Int?
        switch arguments.value(1, "indent") {
        case .int(let width)?: indent = width
        case nil, .none?: indent = nil
        case let other?: throw templateRuntimeError("tojson indent must be an integer, not '\(other.typeName)'")
        }
        var separators: (item: String, key: String)?
        if case .array(let pair)? = arguments.value(2, "separators"), pair.count == 2,
           case .string(let item) = pair[0], case .string(let key) = pair[1] {
            separators = (item, key)
        }
        return try value.jsonString(indent: indent, ensureASCII: arguments.value(0, "ensure_ascii")?.isTruthy ?? false,
                                    sortKeys: arguments.value(3, "sort_keys")?.isTruthy ?? false,
                                    separators: separators)
    }

    /// Follows a dotted attribute path like `function.name` (Jinja's attribute getter); misses are Undefined.
    func attributePath(_ path: String, of value: TemplateValue) throws -> TemplateValue {
        var current = value
        for part in path.split(separator: ".") {
            let key: TemplateValue = Int(part).map { .int($0) } ?? .string(String(part))
            current = try item(key, of: current)
        }
        return current
    }

    func selectFilter(_ name: String, _ value: TemplateValue, _ arguments: TemplateCallArguments) throws -> TemplateValue {
        let byAttribute = name.hasSuffix("attr")
        let keep = name.hasPrefix("select")
        var remaining = arguments.positional
        var attribute: String?
        if byAttribute {
            guard !remaining.isEmpty, case .string(let path) = remaining.removeFirst() else {
                throw templateRuntimeError("\(name) needs an attribute name")
            }
            attribute = path
        }
        var testName: String?
        if !remaining.isEmpty {
            guard case .string(let test) = remaining.removeFirst() else {
                throw templateRuntimeError("\(name) test name must be a string")
            }
            testName = test
        }
        let testArguments = TemplateCallArguments(positional: remaining)
        var result: [TemplateValue] = []
        for item in try value.iterationItems() {
            let subject = try attribute.map { try attributePath($0, of: item) } ?? item
            let passed = try testName.map { try applyTest($0, to: subject, testArguments) } ?? subject.isTruthy
            if passed == keep { result.append(item) }
        }
        return .array(result)
    }

    func mapFilter(_ value: TemplateValue, _ arguments: TemplateCallArguments) throws -> TemplateValue {
        let items = try value.iterationItems()
        if case .string(let attribute)? = arguments.keyword["attribute"] {
            let fallback = arguments.keyword["default"]
            return .array(try items.map { item in
                let found = try attributePath(attribute, of: item)
                if found.isUndefined, let fallback { return fallback }
                return found
            })
        }
        guard case .string(let filterName)? = arguments.positional.first else {
            throw templateRuntimeError("map needs a filter name or attribute=")
        }
        let filterArguments = TemplateCallArguments(positional: Array(arguments.positional.dropFirst()),
                                                    keyword: arguments.keyword)
        return .array(try items.map { try applyFilter(filterName, to: $0, filterArguments) })
    }

    func toInt(_ value: TemplateValue, _ arguments: TemplateCallArguments) -> TemplateValue {
        let fallback = arguments.value(0, "default") ?? .int(0)
        switch value {
        case .bool, .int: return .int(value.number.map { if case .int(let n) = $0 { return n } else { return 0 } }!)
        case .double(let number):
            return number.isFinite && abs(number) < 9.2e18 ? .int(Int(number)) : fallback
        case .string(let text):
            var base = 10
            if case .int(let requested)? = arguments.value(1, "base")?.number { base = requested }
            let cleaned = pythonStrip(text, characters: nil, leading: true, trailing: true).replacingOccurrences(of: "_", with: "")
            if let number = Int(cleaned, radix: base) { return .int(number) }
            if let number = Double(cleaned), number.isFinite, abs(number) < 9.2e18 { return .int(Int(number)) }
            return fallback
        default: return fallback
        }
    }

    func toFloat(_ value: TemplateValue, _ arguments: TemplateCallArguments) -> TemplateValue {
        let fallback = arguments.value(0, "default") ?? .double(0)
        if let number = value.number { return .double(number.asDouble) }
        if case .string(let text) = value,
           let number = Double(pythonStrip(text, characters: nil, leading: true, trailing: true)) {
            return .double(number)
        }
        return fallback
    }

    func indent(_ text: String, _ arguments: TemplateCallArguments) -> String {
        var prefix = "    "
        switch arguments.value(0, "width") {
        case .int(let width)?: prefix = String(repeating: " ", count: width)
        case .string(let custom)?: prefix = custom
        default: break
        }
        let indentFirst = arguments.value(1, "first")?.isTruthy ?? false
        let indentBlank = arguments.value(2, "blank")?.isTruthy ?? false
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for index in lines.indices.dropFirst() where indentBlank || !lines[index].isEmpty {
            lines[index] = prefix + lines[index]
        }
        if indentFirst { lines[0] = prefix + lines[0] }
        return lines.joined(separator: "\n")
    }
}

/// markupsafe's escaping: `& < > " '`.
func htmlEscape(_ text: String) -> String {
    var result = ""
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&#34;"
        case "'": result += "&#39;"
        default: result.append(character)
        }
    }
    return result
}
