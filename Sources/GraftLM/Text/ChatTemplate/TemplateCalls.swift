import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Calling things: the globals transformers provides (`raise_exception`, `strftime_now`) plus
/// Jinja's `namespace`, `range`, `dict`; macros; `loop.cycle`; and str/dict/list methods.
extension TemplateRenderer {
    static let stringMethods: Set<String> = [
        "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "rsplit", "upper", "lower", "replace",
        "title", "capitalize", "find", "count", "join", "splitlines", "isdigit", "isalpha", "isspace",
        "isupper", "islower",
    ]
    static let dictionaryMethods: Set<String> = ["items", "keys", "values", "get", "copy"]
    static let listMethods: Set<String> = ["index", "count", "copy"]

    func call(_ function: TemplateValue, _ arguments: TemplateCallArguments) throws -> TemplateValue {
        guard case .callable(let callable) = function else {
            if case .undefined(let name) = function { throw templateRuntimeError(name) }
            throw templateRuntimeError("'\(function.typeName)' object is not callable")
        }
        switch callable.kind {
        case .global(let name): return try callGlobal(name, arguments)
        case .method(let receiver, let name): return try callMethod(name, on: receiver, arguments)
        case .macro(let macro): return try callMacro(macro, arguments)
        case .loopCycle(let index0):
            guard !arguments.positional.isEmpty else { throw templateRuntimeError("no items for cycling given") }
            return arguments.positional[index0 % arguments.positional.count]
        }
    }

    func callGlobal(_ name: String, _ arguments: TemplateCallArguments) throws -> TemplateValue {
        switch name {
        case "raise_exception":
            throw ChatTemplateError.raised(message: arguments.value(0, "message")?.pythonString ?? "")
        case "strftime_now":
            guard case .string(let format)? = arguments.value(0, "format") else {
                throw templateRuntimeError("strftime_now() needs a format string")
            }
            return .string(strftimeNow(format))
        case "namespace", "dict":
            var attributes = TemplateDictionary()
            if let initial = arguments.positional.first {
                guard case .dictionary(let dictionary) = initial else {
                    throw templateRuntimeError("\(name)() positional argument must be a dict")
                }
                attributes = dictionary
            }
            for (key, value) in arguments.keyword.entries { attributes[key] = value }
            return name == "dict" ? .dictionary(attributes) : .namespace(TemplateNamespace(attributes))
        case "range":
            let numbers = try arguments.positional.map { value -> Int in
                guard case .int(let number) = value.number else {
                    throw templateRuntimeError("range() arguments must be integers")
                }
                return number
            }
            let (start, stop, step): (Int, Int, Int)
            switch numbers.count {
            case 1: (start, stop, step) = (0, numbers[0], 1)
            case 2: (start, stop, step) = (numbers[0], numbers[1], 1)
            case 3: (start, stop, step) = (numbers[0], numbers[1], numbers[2])
            default: throw templateRuntimeError("range expected 1 to 3 arguments, got \(numbers.count)")
            }
            guard step != 0 else { throw templateRuntimeError("range() arg 3 must not be zero") }
            guard (stop - start) / step <= 100_000 else { throw templateRuntimeError("range too big") }
            return .array(stride(from: start, to: stop, by: step).map { .int($0) })
        default:
            throw templateRuntimeError("unknown function '\(name)'")
        }
    }

    /// Python's `datetime.now().strftime(format)` (C `strftime` on local time, as CPython uses).
    func strftimeNow(_ format: String) -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 512)
        let written = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer[0..<written].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func stringArgument(_ arguments: TemplateCallArguments, _ position: Int, _ name: String) throws -> String? {
        switch arguments.value(position, name) {
        case nil, .none?: return nil
        case .string(let text)?: return text
        case let other?: throw templateRuntimeError("expected a string argument, got '\(other.typeName)'")
        }
    }

    func callMethod(_ name: String, on receiver: TemplateValue, _ arguments: TemplateCallArguments) throws
        -> TemplateValue
    {
        switch receiver {
        case .string(let text): return try callStringMethod(name, text, arguments)
        case .dictionary(let dictionary):
            switch name {
            case "items": return .array(dictionary.entries.map { .array([.string($0.key), $0.value]) })
            case "keys": return .array(dictionary.keys.map { .string($0) })
            case "values": return .array(dictionary.entries.map(\.value))
            case "copy": return receiver
            default:  // get
                guard case .string(let key)? = arguments.value(0, "key") else { return arguments.value(1, "default") ?? .none }
                return dictionary[key] ?? arguments.value(1, "default") ?? .none
            }
        case .array(let items):
            switch name {
            case "copy": return receiver
            case "count":
                let needle = arguments.value(0, "value") ?? .none
                return .int(items.filter { $0.pythonEquals(needle) }.count)
            default:  // index
                let needle = arguments.value(0, "value") ?? .none
                guard let found = items.firstIndex(where: { $0.pythonEquals(needle) }) else {
                    throw templateRuntimeError("\(needle.pythonRepr) is not in list")
                }
                return .int(found)
            }
        default:
            throw templateRuntimeError("'\(receiver.typeName)' object has no method '\(name)'")
        }
    }

    func callStringMethod(_ name: String, _ text: String, _ arguments: TemplateCallArguments) throws -> TemplateValue {
        switch name {
        case "strip", "lstrip", "rstrip":
            let characters = try stringArgument(arguments, 0, "chars")
            return .string(pythonStrip(text, characters: characters, leading: name != "rstrip",
                                       trailing: name != "lstrip"))
        case "startswith", "endswith":
            let candidates: [TemplateValue]
            switch arguments.value(0, "prefix") {
            case .array(let items)?: candidates = items
            case let value?: candidates = [value]
            case nil: throw templateRuntimeError("\(name)() takes at least 1 argument")
            }
            for candidate in candidates {
                guard case .string(let affix) = candidate else {
                    throw templateRuntimeError("\(name) first arg must be str or a tuple of str")
                }
                let scalars = Array(text.unicodeScalars)
                let affixScalars = Array(affix.unicodeScalars)
                let matched = name == "startswith" ? scalars.starts(with: affixScalars)
                    : scalars.reversed().starts(with: affixScalars.reversed())
                if matched { return .bool(true) }
            }
            return .bool(false)
        case "split", "rsplit":
            let separator = try stringArgument(arguments, 0, "sep")
            var maxSplit = -1
            if case .int(let limit)? = arguments.value(1, "maxsplit")?.number { maxSplit = limit }
            if name == "rsplit" && maxSplit >= 0 {
                guard let separator else { throw templateRuntimeError("rsplit() without separator is unsupported") }
                let reversedParts = try pythonSplit(String(text.reversed()), separator: String(separator.reversed()),
                                                    maxSplit: maxSplit)
                return .array(reversedParts.reversed().map { .string(String($0.reversed())) })
            }
            return .array(try pythonSplit(text, separator: separator, maxSplit: maxSplit).map { .string($0) })
        case "splitlines":
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            return .array(lines.map { .string($0) })
        case "upper": return .string(text.uppercased())
        case "lower": return .string(text.lowercased())
        case "title": return .string(pythonTitle(text))
        case "capitalize": return .string(pythonCapitalize(text))
        case "replace":
            guard let old = try stringArgument(arguments, 0, "old"), let new = try stringArgument(arguments, 1, "new")
            else { throw templateRuntimeError("replace() takes 2 string arguments") }
            var count = -1
            if case .int(let limit)? = arguments.value(2, "count")?.number { count = limit }
            return .string(pythonReplace(text, old, new, count: count))
        case "find":
            guard let needle = try stringArgument(arguments, 0, "sub") else {
                throw templateRuntimeError("find() takes a string argument")
            }
            guard let range = text.range(of: needle, options: .literal) else { return .int(-1) }
            return .int(text.unicodeScalars.distance(from: text.startIndex, to: range.lowerBound))
        case "count":
            guard let needle = try stringArgument(arguments, 0, "sub"), !needle.isEmpty else {
                throw templateRuntimeError("count() takes a non-empty string argument")
            }
            return .int(text.components(separatedBy: needle).count - 1)
        case "join":
            let items = try (arguments.value(0, "iterable") ?? .array([])).iterationItems()
            return .string(try items.map { item -> String in
                guard case .string(let part) = item else {
                    throw templateRuntimeError("sequence item: expected str instance, \(item.typeName) found")
                }
                return part
            }.joined(separator: text))
        case "isdigit": return .bool(!text.isEmpty && text.allSatisfy { $0.isNumber })
        case "isalpha": return .bool(!text.isEmpty && text.allSatisfy { $0.isLetter })
        case "isspace": return .bool(!text.isEmpty && text.unicodeScalars.allSatisfy(isPythonWhitespace))
        case "isupper": return .bool(text.contains { $0.isLetter } && text == text.uppercased())
        default: return .bool(text.contains { $0.isLetter } && text == text.lowercased())  // islower
        }
    }
}

/// Python `str.replace(old, new, count)`; an empty `old` inserts `new` between code points.
func pythonReplace(_ text: String, _ old: String, _ new: String, count: Int) -> String {
    if old.isEmpty {
        var result = ""
        var inserted = 0
        for scalar in text.unicodeScalars {
            if count < 0 || inserted < count { result += new; inserted += 1 }
            result.unicodeScalars.append(scalar)
        }
        if count < 0 || inserted < count { result += new }
        return result
    }
    var result = ""
    var remainder = Substring(text)
    var replaced = 0
    while count < 0 || replaced < count, let range = remainder.range(of: old, options: .literal) {
        result += remainder[..<range.lowerBound] + new
        remainder = remainder[range.upperBound...]
        replaced += 1
    }
    return result + remainder
}
