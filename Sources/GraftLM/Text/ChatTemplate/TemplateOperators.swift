import Foundation

/// Binary operators with Python semantics (`+` on str/list concatenates, `/` is true division,
/// `//` and `%` floor, `~` concatenates `str()` of both sides).
extension TemplateRenderer {
    func binary(_ op: TemplateBinaryOperator, _ left: TemplateValue, _ right: TemplateValue) throws
        -> TemplateValue
    {
        if op == .concat { return .string(left.pythonString + right.pythonString) }
        if case .undefined(let name) = left { throw templateRuntimeError(name) }
        if case .undefined(let name) = right { throw templateRuntimeError(name) }
        if let a = left.number, let b = right.number { return try arithmetic(op, a, b) }
        switch (op, left, right) {
        case (.add, .string(let a), .string(let b)): return .string(a + b)
        case (.add, .array(let a), .array(let b)): return .array(a + b)
        case (.multiply, .string(let text), _) where right.number != nil:
            return .string(String(repeating: text, count: max(0, try repeatCount(right))))
        case (.multiply, _, .string(let text)) where left.number != nil:
            return .string(String(repeating: text, count: max(0, try repeatCount(left))))
        case (.multiply, .array(let items), _) where right.number != nil:
            return .array(Array(repeating: items, count: max(0, try repeatCount(right))).flatMap { $0 })
        default:
            throw templateRuntimeError("unsupported operand type(s) for \(op.rawValue): "
                                       + "'\(left.typeName)' and '\(right.typeName)'")
        }
    }

    private func repeatCount(_ value: TemplateValue) throws -> Int {
        guard case .int(let count) = value.number else {
            throw templateRuntimeError("can't multiply sequence by non-int of type 'float'")
        }
        return count
    }

    private func arithmetic(_ op: TemplateBinaryOperator, _ a: TemplateValue.Number, _ b: TemplateValue.Number)
        throws -> TemplateValue
    {
        if case .int(let x) = a, case .int(let y) = b {
            func checked(_ result: (partialValue: Int, overflow: Bool)) throws -> TemplateValue {
                guard !result.overflow else { throw templateRuntimeError("integer overflow") }
                return .int(result.partialValue)
            }
            switch op {
            case .add: return try checked(x.addingReportingOverflow(y))
            case .subtract: return try checked(x.subtractingReportingOverflow(y))
            case .multiply: return try checked(x.multipliedReportingOverflow(by: y))
            case .divide:
                guard y != 0 else { throw templateRuntimeError("division by zero") }
                return .double(Double(x) / Double(y))
            case .floorDivide:
                guard y != 0 else { throw templateRuntimeError("integer division or modulo by zero") }
                let quotient = x / y
                return .int((x % y != 0 && (x < 0) != (y < 0)) ? quotient - 1 : quotient)
            case .modulo:
                guard y != 0 else { throw templateRuntimeError("integer division or modulo by zero") }
                let remainder = x % y
                return .int(remainder != 0 && (remainder < 0) != (y < 0) ? remainder + y : remainder)
            case .power:
                guard y >= 0 else { return .double(pow(Double(x), Double(y))) }
                var result = 1
                for _ in 0..<y {
                    let step = result.multipliedReportingOverflow(by: x)
                    guard !step.overflow else { throw templateRuntimeError("integer overflow") }
                    result = step.partialValue
                }
                return .int(result)
            case .concat: break
            }
        }
        let x = a.asDouble
        let y = b.asDouble
        switch op {
        case .add: return .double(x + y)
        case .subtract: return .double(x - y)
        case .multiply: return .double(x * y)
        case .divide:
            guard y != 0 else { throw templateRuntimeError("float division by zero") }
            return .double(x / y)
        case .floorDivide:
            guard y != 0 else { throw templateRuntimeError("float floor division by zero") }
            return .double((x / y).rounded(.down))
        case .modulo:
            guard y != 0 else { throw templateRuntimeError("float modulo") }
            let remainder = fmod(x, y)
            return .double(remainder != 0 && (remainder < 0) != (y < 0) ? remainder + y : remainder)
        case .power: return .double(pow(x, y))
        case .concat: return .string(pythonFloatRepr(x) + pythonFloatRepr(y))
        }
    }
}
