/// Turns template tokens into statement nodes (`for`, `if`, `set`, `macro`, ...).
/// Expressions are parsed by the extension in `TemplateExpressionParser.swift`.
struct TemplateParser {
    let tokens: [TemplateToken]
    var index = 0

    init(tokens: [TemplateToken]) { self.tokens = tokens }

    /// Parses a whole template.
    static func parse(_ source: String) throws -> [TemplateNode] {
        var parser = TemplateParser(tokens: try TemplateLexer.tokenize(source))
        let (nodes, stop) = try parser.parseBody(until: [])
        if let stop {
            throw ChatTemplateError.syntax(message: "unexpected '\(stop.tag)' tag", location: stop.location)
        }
        return nodes
    }

    var current: TemplateToken { tokens[index] }

    mutating func advance() -> TemplateToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    func error(_ message: String, at token: TemplateToken? = nil) -> ChatTemplateError {
        .syntax(message: message, location: (token ?? current).location)
    }

    func describe(_ kind: TemplateToken.Kind) -> String {
        switch kind {
        case .text: return "template text"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "end of statement block"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "end of print statement"
        case .name(let name): return "'\(name)'"
        case .string: return "string literal"
        case .integer, .float: return "number"
        case .op(let op): return "'\(op)'"
        case .end: return "end of template"
        }
    }

    mutating func expect(_ kind: TemplateToken.Kind, _ what: String) throws {
        guard current.kind == kind else {
            throw error("expected \(what), got \(describe(current.kind))")
        }
        _ = advance()
    }

    mutating func expectName() throws -> String {
        guard case .name(let name) = current.kind else {
            throw error("expected a name, got \(describe(current.kind))")
        }
        _ = advance()
        return name
    }

    func isName(_ name: String) -> Bool {
        if case .name(let value) = current.kind { return value == name }
        return false
    }

    func isOp(_ op: String) -> Bool {
        if case .op(let value) = current.kind { return value == op }
        return false
    }

    mutating func skipOp(_ op: String) -> Bool {
        guard isOp(op) else { return false }
        _ = advance()
        return true
    }

    mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        _ = advance()
        return true
    }

    /// The end tag that stopped a body, positioned just after its name.
    struct Stop {
        let tag: String
        let location: TemplateSourceLocation
    }

    /// Parses nodes until a `{% tag %}` whose name is in `endTags`; leaves the parser just after
    /// the tag name. With no end tags, parses to the end of the template.
    mutating func parseBody(until endTags: Set<String>) throws -> ([TemplateNode], Stop?) {
        var nodes: [TemplateNode] = []
        while true {
            let token = current
            switch token.kind {
            case .end:
                if endTags.isEmpty { return (nodes, nil) }
                throw error("unexpected end of template: expected one of "
                            + endTags.sorted().map { "'\($0)'" }.joined(separator: ", "))
            case .text(let text):
                _ = advance()
                nodes.append(.text(text))
            case .variableBegin:
                _ = advance()
                let expression = try parseExpression()
                try expect(.variableEnd, "end of print statement '}}'")
                nodes.append(.output(expression, token.location))
            case .blockBegin:
                _ = advance()
                let nameToken = current
                let tag = try expectName()
                if endTags.contains(tag) { return (nodes, Stop(tag: tag, location: nameToken.location)) }
                nodes.append(try parseStatement(tag, at: nameToken))
            default:
                throw error("unexpected \(describe(token.kind))")
            }
        }
    }

    mutating func endBlock() throws {
        try expect(.blockEnd, "end of statement block '%}'")
    }

    mutating func parseStatement(_ tag: String, at token: TemplateToken) throws -> TemplateNode {
        let location = token.location
        switch tag {
        case "if": return try parseIf(at: location)
        case "for": return try parseFor(at: location)
        case "set": return try parseSet(at: location)
        case "macro": return try parseMacro(at: location)
        case "filter":
            let filters = try parseFilterChain(requireFirst: true)
            try endBlock()
            let (body, _) = try parseBody(until: ["endfilter"])
            try endBlock()
            return .filterBlock(filters: filters, body: body, location)
        case "with":
            var assignments: [(String, TemplateExpression)] = []
            while !(current.kind == .blockEnd) {
                if !assignments.isEmpty { try expect(.op(","), "',' between with assignments") }
                let name = try expectName()
                try expect(.op("="), "'=' in with statement")
                assignments.append((name, try parseExpression()))
            }
            try endBlock()
            let (body, _) = try parseBody(until: ["endwith"])
            try endBlock()
            return .scoped(assignments: assignments, body: body, location)
        case "generation":
            try endBlock()
            let (body, _) = try parseBody(until: ["endgeneration"])
            try endBlock()
            return .group(body)
        case "break":
            try endBlock()
            return .breakLoop(location)
        case "continue":
            try endBlock()
            return .continueLoop(location)
        case "endif", "endfor", "endmacro", "endset", "endfilter", "elif", "else", "endgeneration", "endwith":
            throw error("unexpected '\(tag)' tag", at: token)
        default:
            throw error("unknown tag '\(tag)'", at: token)
        }
    }

    mutating func parseIf(at location: TemplateSourceLocation) throws -> TemplateNode {
        var branches: [TemplateBranch] = []
        var condition = try parseTupleOrExpression()
        try endBlock()
        while true {
            let (body, stop) = try parseBody(until: ["elif", "else", "endif"])
            branches.append(TemplateBranch(condition: condition, body: body))
            switch stop!.tag {
            case "elif":
                condition = try parseTupleOrExpression()
                try endBlock()
            case "else":
                try endBlock()
                let (otherwise, _) = try parseBody(until: ["endif"])
                try endBlock()
                return .conditional(branches: branches, otherwise: otherwise, location)
            default:
                try endBlock()
                return .conditional(branches: branches, otherwise: [], location)
            }
        }
    }

    mutating func parseFor(at location: TemplateSourceLocation) throws -> TemplateNode {
        var targets = [try expectName()]
        while skipOp(",") { targets.append(try expectName()) }
        guard skipName("in") else { throw error("expected 'in' in for loop, got \(describe(current.kind))") }
        let iterable = try parseTupleOrExpression(allowConditional: false)
        var filter: TemplateExpression?
        if skipName("if") { filter = try parseExpression() }
        if isName("recursive") { throw error("recursive for loops are not supported") }
        try endBlock()
        let (body, stop) = try parseBody(until: ["endfor", "else"])
        var otherwise: [TemplateNode] = []
        try endBlock()
        if stop!.tag == "else" {
            (otherwise, _) = try parseBody(until: ["endfor"])
            try endBlock()
        }
        return .loop(TemplateForLoop(targets: targets, iterable: iterable, filter: filter, body: body,
                                     otherwise: otherwise, location: location))
    }

    mutating func parseSet(at location: TemplateSourceLocation) throws -> TemplateNode {
        let first = try expectName()
        if skipOp(".") {
            let attribute = try expectName()
            try expect(.op("="), "'=' in set statement")
            let value = try parseTupleOrExpression()
            try endBlock()
            return .assign(.attribute(object: first, attribute: attribute), value, location)
        }
        var names = [first]
        while skipOp(",") { names.append(try expectName()) }
        if skipOp("=") {
            let value = try parseTupleOrExpression()
            try endBlock()
            return .assign(.names(names), value, location)
        }
        guard names.count == 1 else { throw error("expected '=' in set statement") }
        let filters = try parseFilterChain(requireFirst: false)
        try endBlock()
        let (body, _) = try parseBody(until: ["endset"])
        try endBlock()
        return .assignBlock(name: first, body: body, filters: filters, location)
    }

    mutating func parseMacro(at location: TemplateSourceLocation) throws -> TemplateNode {
        let name = try expectName()
        try expect(.op("("), "'(' after macro name")
        var parameters: [String] = []
        var defaults: [TemplateExpression?] = []
        while !isOp(")") {
            if !parameters.isEmpty { try expect(.op(","), "',' between macro parameters") }
            if isOp(")") { break }
            parameters.append(try expectName())
            if skipOp("=") {
                defaults.append(try parseExpression())
            } else {
                if defaults.contains(where: { $0 != nil }) {
                    throw error("non-default macro parameter follows default parameter")
                }
                defaults.append(nil)
            }
        }
        _ = advance()
        try endBlock()
        let (body, _) = try parseBody(until: ["endmacro"])
        if case .name = current.kind { _ = advance() }  // optional name after endmacro
        try endBlock()
        return .macro(TemplateMacro(name: name, parameters: parameters, defaults: defaults, body: body,
                                    location: location))
    }

    /// Parses `name(args) | name2 ...` as used by `{% filter %}` and block `{% set %}`.
    mutating func parseFilterChain(requireFirst: Bool) throws -> [TemplateFilterCall] {
        var filters: [TemplateFilterCall] = []
        if requireFirst { filters.append(try parseFilterCall()) }
        while skipOp("|") { filters.append(try parseFilterCall()) }
        return filters
    }
}
