/// Evaluated call arguments.
struct TemplateCallArguments {
    var positional: [TemplateValue] = []
    var keyword = TemplateDictionary()

    /// The argument at `position`, or the keyword `name`, or nil.
    func value(_ position: Int, _ name: String) -> TemplateValue? {
        position < positional.count ? positional[position] : keyword[name]
    }
}

/// Expression evaluation: names, access, operators, calls.
extension TemplateRenderer {
    func evaluate(_ expression: TemplateExpression) throws -> TemplateValue {
        switch expression {
        case .literal(let value):
            return value
        case .name(let name):
            return lookup(name)
        case .list(let items):
            return .array(try items.map { try evaluate($0) })
        case .dictionary(let pairs):
            var dictionary = TemplateDictionary()
            for (keyExpression, valueExpression) in pairs {
                guard case .string(let key) = try evaluate(keyExpression) else {
                    throw templateRuntimeError("only string keys are supported in dict literals")
                }
                dictionary[key] = try evaluate(valueExpression)
            }
            return .dictionary(dictionary)
        case .attribute(let base, let name):
            return try attribute(name, of: try evaluate(base))
        case .subscript(let base, let key):
            return try item(try evaluate(key), of: try evaluate(base))
        case .slice(let base, let start, let stop, let step):
            return try slice(try evaluate(base), start: try start.map { try evaluate($0) },
                             stop: try stop.map { try evaluate($0) }, step: try step.map { try evaluate($0) })
        case .call(let callee, let arguments):
            let function = try evaluate(callee)
            return try call(function, try evaluateArguments(arguments))
        case .filter(let base, let filter):
            return try applyFilter(filter, to: try evaluate(base))
        case .test(let base, let name, let arguments, let negated):
            let result = try applyTest(name, to: try evaluate(base), try evaluateArguments(arguments))
            return .bool(result != negated)
        case .not(let operand):
            return .bool(!(try evaluate(operand).isTruthy))
        case .negate(let operand):
            let value = try evaluate(operand)
            switch value.number {
            case .int(let number): return .int(-number)
            case .double(let number): return .double(-number)
            case nil: throw operandError("-", value)
            }
        case .plus(let operand):
            let value = try evaluate(operand)
            guard value.number != nil else { throw operandError("+", value) }
            return value
        case .binary(let op, let left, let right):
            return try binary(op, try evaluate(left), try evaluate(right))
        case .compare(let first, let operations):
            var left = try evaluate(first)
            for (comparison, rightExpression) in operations {
                let right = try evaluate(rightExpression)
                guard try compare(comparison, left, right) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .and(let left, let right):
            let value = try evaluate(left)
            return value.isTruthy ? try evaluate(right) : value
        case .or(let left, let right):
            let value = try evaluate(left)
            return value.isTruthy ? value : try evaluate(right)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            return try otherwise.map { try evaluate($0) } ?? .undefined("the conditional expression's condition was false and it has no else")
        }
    }

    func evaluateArguments(_ arguments: TemplateArguments) throws -> TemplateCallArguments {
        var result = TemplateCallArguments()
        result.positional = try arguments.positional.map { try evaluate($0) }
        for (name, expression) in arguments.keyword { result.keyword[name] = try evaluate(expression) }
        return result
    }

    func operandError(_ op: String, _ value: TemplateValue) -> ChatTemplateError {
        if case .undefined(let name) = value { return templateRuntimeError(name) }
        return templateRuntimeError("bad operand type for unary \(op): '\(value.typeName)'")
    }

    func compare(_ comparison: TemplateComparison, _ left: TemplateValue, _ right: TemplateValue) throws -> Bool {
        switch comparison {
        case .equal: return left.pythonEquals(right)
        case .notEqual: return !left.pythonEquals(right)
        case .less: return try left.pythonLess(than: right)
        case .greater: return try right.pythonLess(than: left)
        case .lessEqual: return try !right.pythonLess(than: left)
        case .greaterEqual: return try !left.pythonLess(than: right)
        case .contains: return try right.pythonContains(left)
        case .notContains: return try !right.pythonContains(left)
        }
    }

    /// `base.name`: Python attribute first (methods, namespace attributes), then item lookup.
    func attribute(_ name: String, of base: TemplateValue) throws -> TemplateValue {
        switch base {
        case .undefined(let undefinedName):
            throw templateRuntimeError(undefinedName)
        case .namespace(let namespace):
            return namespace.attributes[name] ?? .undefined("'Namespace' object has no attribute '\(name)'")
        case .dictionary(let dictionary):
            if TemplateRenderer.dictionaryMethods.contains(name) { return boundMethod(base, name) }
            return dictionary[name] ?? .undefined("'dict object' has no attribute '\(name)'")
        case .string where TemplateRenderer.stringMethods.contains(name),
             .array where TemplateRenderer.listMethods.contains(name):
            return boundMethod(base, name)
        default:
            return .undefined("'\(base.typeName) object' has no attribute '\(name)'")
        }
    }

    func boundMethod(_ receiver: TemplateValue, _ name: String) -> TemplateValue {
        .callable(TemplateCallable(kind: .method(receiver: receiver, name: name)))
    }

    /// `base[key]`: item lookup first, then attribute lookup for string keys; misses are Undefined.
    func item(_ key: TemplateValue, of base: TemplateValue) throws -> TemplateValue {
        switch (base, key) {
        case (.undefined(let name), _):
            throw templateRuntimeError(name)
        case (.array(let items), _) where key.number != nil:
            guard case .int(var index) = key.number! else {
                throw templateRuntimeError("list indices must be integers, not float")
            }
            if index < 0 { index += items.count }
            return items.indices.contains(index) ? items[index] : .undefined("list index out of range")
        case (.string(let text), _) where key.number != nil:
            guard case .int(var index) = key.number! else {
                throw templateRuntimeError("string indices must be integers, not float")
            }
            let scalars = Array(text.unicodeScalars)
            if index < 0 { index += scalars.count }
            return scalars.indices.contains(index) ? .string(String(scalars[index])) : .undefined("string index out of range")
        case (.dictionary(let dictionary), .string(let name)):
            if let value = dictionary[name] { return value }
            return try attribute(name, of: base)
        case (_, .string(let name)):
            return try attribute(name, of: base)
        default:
            return .undefined("'\(base.typeName) object' has no item \(key.pythonRepr)")
        }
    }

    /// Python slicing of lists and strings (`[a:b:c]`, negative bounds and steps).
    func slice(_ base: TemplateValue, start: TemplateValue?, stop: TemplateValue?, step: TemplateValue?) throws
        -> TemplateValue
    {
        func bound(_ value: TemplateValue?) throws -> Int? {
            guard let value, !value.isNone else { return nil }
            guard case .int(let number) = value.number else {
                throw templateRuntimeError("slice indices must be integers or None")
            }
            return number
        }
        let stepValue = try bound(step) ?? 1
        guard stepValue != 0 else { throw templateRuntimeError("slice step cannot be zero") }
        func indices(count: Int) throws -> [Int] {
            func clamp(_ value: Int?, _ defaultValue: Int) -> Int {
                guard var value else { return defaultValue }
                if value < 0 { value += count }
                return stepValue > 0 ? min(max(value, 0), count) : min(max(value, -1), count - 1)
            }
            let first = clamp(try bound(start), stepValue > 0 ? 0 : count - 1)
            let last = clamp(try bound(stop), stepValue > 0 ? count : -1)
            return Array(stride(from: first, to: last, by: stepValue))
        }
        switch base {
        case .array(let items):
            return .array(try indices(count: items.count).map { items[$0] })
        case .string(let text):
            let scalars = Array(text.unicodeScalars)
            var view = String.UnicodeScalarView()
            for index in try indices(count: scalars.count) { view.append(scalars[index]) }
            return .string(String(view))
        case .undefined(let name):
            throw templateRuntimeError(name)
        default:
            throw templateRuntimeError("'\(base.typeName)' object is not subscriptable")
        }
    }
}

extension TemplateValue {
    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}
