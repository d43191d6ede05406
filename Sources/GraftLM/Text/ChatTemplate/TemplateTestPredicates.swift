/// Jinja's `is` tests (`defined`, `none`, `string`, `mapping`, `equalto`, ...).
extension TemplateRenderer {
    func applyTest(_ name: String, to value: TemplateValue, _ arguments: TemplateCallArguments) throws -> Bool {
        let argument = arguments.positional.first ?? .undefined("missing test argument")
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": return value.isNone
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "number": return value.number != nil
        case "string": return value.stringValue != nil
        case "mapping": return value.dictionaryValue != nil
        case "iterable":
            switch value {
            case .undefined, .string, .array, .dictionary, .namespace: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .undefined, .string, .array, .dictionary: return true
            default: return false
            }
        case "callable":
            // Jinja's Undefined defines __call__ (which fails), so Python's callable() is true for it.
            switch value {
            case .callable, .undefined: return true
            default: return false
            }
        case "sameas":
            switch (value, argument) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.namespace(let a), .namespace(let b)): return a === b
            default: return false
            }
        case "eq", "equalto", "==": return value.pythonEquals(argument)
        case "ne", "!=": return !value.pythonEquals(argument)
        case "lt", "lessthan", "<": return try value.pythonLess(than: argument)
        case "le", "<=": return try !argument.pythonLess(than: value)
        case "gt", "greaterthan", ">": return try argument.pythonLess(than: value)
        case "ge", ">=": return try !value.pythonLess(than: argument)
        case "in": return try argument.pythonContains(value)
        case "odd", "even", "divisibleby":
            guard case .int(let number)? = value.number else {
                throw templateRuntimeError("test '\(name)' needs an integer, got '\(value.typeName)'")
            }
            if name == "odd" { return number % 2 != 0 }
            if name == "even" { return number % 2 == 0 }
            guard case .int(let divisor)? = argument.number, divisor != 0 else {
                throw templateRuntimeError("divisibleby needs a non-zero integer")
            }
            return number % divisor == 0
        case "lower": return value.pythonString == value.pythonString.lowercased()
        case "upper": return value.pythonString == value.pythonString.uppercased()
        case "escaped": return false
        default:
            throw templateRuntimeError("no test named '\(name)'")
        }
    }
}
