/// Expression grammar, following Jinja's precedence from loosest to tightest:
/// conditional (`a if c else b`), `or`, `and`, `not`, comparisons (incl. `in`, `not in`),
/// `+ -`, `~`, `* / // %`, `**`, unary `- +`, then primary with postfix (`.x`, `[i]`, `(args)`)
/// and filters/tests (`| f`, `is t`).
extension TemplateParser {
    mutating func parseExpression(allowConditional: Bool = true) throws -> TemplateExpression {
        allowConditional ? try parseConditional() : try parseOr()
    }

    /// An expression, or a bare tuple `a, b` (as Jinja allows in `set` and `for ... in`).
    mutating func parseTupleOrExpression(allowConditional: Bool = true) throws -> TemplateExpression {
        let first = try parseExpression(allowConditional: allowConditional)
        guard isOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            if case .blockEnd = current.kind { break }
            items.append(try parseExpression(allowConditional: allowConditional))
        }
        return .list(items)
    }

    mutating func parseConditional() throws -> TemplateExpression {
        var expression = try parseOr()
        while skipName("if") {
            let condition = try parseOr()
            var otherwise: TemplateExpression?
            if skipName("else") { otherwise = try parseConditional() }
            expression = .conditional(condition: condition, then: expression, otherwise: otherwise)
        }
        return expression
    }

    mutating func parseOr() throws -> TemplateExpression {
        var left = try parseAnd()
        while skipName("or") { left = .or(left, try parseAnd()) }
        return left
    }

    mutating func parseAnd() throws -> TemplateExpression {
        var left = try parseNot()
        while skipName("and") { left = .and(left, try parseNot()) }
        return left
    }

    mutating func parseNot() throws -> TemplateExpression {
        if skipName("not") { return .not(try parseNot()) }
        return try parseCompare()
    }

    mutating func parseCompare() throws -> TemplateExpression {
        let left = try parseAdditive()
        var operations: [(TemplateComparison, TemplateExpression)] = []
        while true {
            let comparison: TemplateComparison
            if case .op(let op) = current.kind, let found = TemplateComparison(rawValue: op),
               found != .contains, found != .notContains {
                comparison = found
                _ = advance()
            } else if isName("in") {
                comparison = .contains
                _ = advance()
            } else if isName("not"), index + 1 < tokens.count, tokens[index + 1].kind == .name("in") {
                comparison = .notContains
                _ = advance()
                _ = advance()
            } else {
                break
            }
            operations.append((comparison, try parseAdditive()))
        }
        return operations.isEmpty ? left : .compare(left, operations)
    }

    mutating func parseAdditive() throws -> TemplateExpression {
        var left = try parseConcat()
        while true {
            if skipOp("+") {
                left = .binary(.add, left, try parseConcat())
            } else if skipOp("-") {
                left = .binary(.subtract, left, try parseConcat())
            } else {
                return left
            }
        }
    }

    mutating func parseConcat() throws -> TemplateExpression {
        var left = try parseMultiplicative()
        while skipOp("~") { left = .binary(.concat, left, try parseMultiplicative()) }
        return left
    }

    mutating func parseMultiplicative() throws -> TemplateExpression {
        var left = try parsePower()
        while true {
            guard case .op(let op) = current.kind, ["*", "/", "//", "%"].contains(op) else { return left }
            _ = advance()
            left = .binary(TemplateBinaryOperator(rawValue: op)!, left, try parsePower())
        }
    }

    mutating func parsePower() throws -> TemplateExpression {
        var left = try parseUnary()
        while skipOp("**") { left = .binary(.power, left, try parseUnary()) }
        return left
    }

    mutating func parseUnary(withFilters: Bool = true) throws -> TemplateExpression {
        var expression: TemplateExpression
        if skipOp("-") {
            expression = .negate(try parseUnary(withFilters: false))
        } else if skipOp("+") {
            expression = .plus(try parseUnary(withFilters: false))
        } else {
            expression = try parsePostfix(try parsePrimary())
        }
        if withFilters { expression = try parseFiltersAndTests(expression) }
        return expression
    }

    mutating func parsePrimary() throws -> TemplateExpression {
        let token = advance()
        switch token.kind {
        case .name(let name):
            switch name {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(name)
            }
        case .string(var text):
            // Adjacent string literals are concatenated.
            while case .string(let more) = current.kind {
                text += more
                _ = advance()
            }
            return .literal(.string(text))
        case .integer(let value): return .literal(.int(value))
        case .float(let value): return .literal(.double(value))
        case .op("("):
            if skipOp(")") { return .list([]) }
            let inner = try parseTupleOrExpression()
            try expect(.op(")"), "')'")
            return inner
        case .op("["):
            var items: [TemplateExpression] = []
            while !isOp("]") {
                if !items.isEmpty { try expect(.op(","), "',' in list literal") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            _ = advance()
            return .list(items)
        case .op("{"):
            var pairs: [(TemplateExpression, TemplateExpression)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expect(.op(","), "',' in dict literal") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expect(.op(":"), "':' in dict literal")
                pairs.append((key, try parseExpression()))
            }
            _ = advance()
            return .dictionary(pairs)
        default:
            throw error("unexpected \(describe(token.kind)) in expression", at: token)
        }
    }

    mutating func parsePostfix(_ base: TemplateExpression) throws -> TemplateExpression {
        var expression = base
        while true {
            if skipOp(".") {
                let token = advance()
                switch token.kind {
                case .name(let name): expression = .attribute(expression, name)
                case .integer(let value): expression = .subscript(expression, .literal(.int(value)))
                default: throw error("expected attribute name after '.'", at: token)
                }
            } else if skipOp("[") {
                expression = try parseSubscript(expression)
            } else if skipOp("(") {
                expression = .call(expression, try parseCallArguments())
            } else {
                return expression
            }
        }
    }

    mutating func parseSubscript(_ base: TemplateExpression) throws -> TemplateExpression {
        var parts: [TemplateExpression?] = []
        var current: TemplateExpression?
        var isSlice = false
        while !isOp("]") {
            if skipOp(":") {
                parts.append(current)
                current = nil
                isSlice = true
            } else {
                guard current == nil else { throw error("expected ']' or ':' in subscript") }
                current = try parseExpression()
            }
        }
        _ = advance()
        parts.append(current)
        guard isSlice else {
            guard let only = parts[0] else { throw error("empty subscript") }
            return .subscript(base, only)
        }
        guard parts.count <= 3 else { throw error("too many ':' in slice") }
        while parts.count < 3 { parts.append(nil) }
        return .slice(base, start: parts[0], stop: parts[1], step: parts[2])
    }

    /// Parses call arguments after '(' up to and including ')'.
    mutating func parseCallArguments() throws -> TemplateArguments {
        var arguments = TemplateArguments()
        while !isOp(")") {
            if !arguments.positional.isEmpty || !arguments.keyword.isEmpty {
                try expect(.op(","), "',' between arguments")
                if isOp(")") { break }
            }
            if case .name(let name) = current.kind, index + 1 < tokens.count, tokens[index + 1].kind == .op("=") {
                _ = advance()
                _ = advance()
                arguments.keyword.append((name, try parseExpression()))
            } else {
                guard arguments.keyword.isEmpty else { throw error("positional argument follows keyword argument") }
                arguments.positional.append(try parseExpression())
            }
        }
        _ = advance()
        return arguments
    }

    mutating func parseFilterCall() throws -> TemplateFilterCall {
        var name = try expectName()
        while isOp("."), index + 1 < tokens.count, case .name(let part) = tokens[index + 1].kind {
            _ = advance()
            _ = advance()
            name += "." + part
        }
        let arguments = skipOp("(") ? try parseCallArguments() : .empty
        return TemplateFilterCall(name: name, arguments: arguments)
    }

    mutating func parseFiltersAndTests(_ base: TemplateExpression) throws -> TemplateExpression {
        var expression = base
        while true {
            if skipOp("|") {
                expression = .filter(expression, try parseFilterCall())
            } else if skipName("is") {
                let negated = skipName("not")
                let name: String
                switch current.kind {
                case .name(let value): name = value
                case .op(let op) where ["==", "!=", "<", ">", "<=", ">="].contains(op): name = op
                default: throw error("expected a test name after 'is'")
                }
                _ = advance()
                var arguments = TemplateArguments.empty
                if skipOp("(") {
                    arguments = try parseCallArguments()
                } else if startsTestArgument() {
                    arguments.positional = [try parsePostfix(try parsePrimary())]
                }
                expression = .test(expression, name: name, arguments: arguments, negated: negated)
            } else if skipOp("(") {
                expression = .call(expression, try parseCallArguments())
            } else {
                return expression
            }
        }
    }

    /// Whether the next token starts the single bare argument of a test (`is divisibleby 3`).
    func startsTestArgument() -> Bool {
        switch current.kind {
        case .name(let name): return !["else", "or", "and", "is", "if", "in", "not"].contains(name)
        case .string, .integer, .float: return true
        case .op(let op): return op == "[" || op == "{"
        default: return false
        }
    }
}
