/// Executes parsed template statements against a context, producing the rendered text.
///
/// Scoping follows Jinja: the top level and `if` bodies share one scope; each `for` iteration
/// gets a fresh scope (so `set` inside a loop does not leak out — use `namespace()`); a macro
/// call sees the template-level scope plus its own arguments.
final class TemplateRenderer {
    /// Scope stack; index 0 holds the render context, the globals and top-level `set`s.
    var scopes: [[String: TemplateValue]]
    var output = ""
    /// Current macro nesting, bounded so that a recursive macro fails instead of overflowing the stack.
    var macroDepth = 0
    static let maximumMacroDepth = 100

    enum Flow {
        case normal, breakLoop, continueLoop
    }

    init(context: [String: TemplateValue]) {
        var root: [String: TemplateValue] = [:]
        for name in ["raise_exception", "strftime_now", "namespace", "range", "dict"] {
            root[name] = .callable(TemplateCallable(kind: .global(name)))
        }
        for (key, value) in context { root[key] = value }
        scopes = [root]
    }

    func lookup(_ name: String) -> TemplateValue {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return .undefined("'\(name)' is undefined")
    }

    func assign(_ name: String, _ value: TemplateValue) {
        scopes[scopes.count - 1][name] = value
    }

    /// Runs `body` with output redirected to a fresh buffer and returns what it wrote.
    func capture(_ body: () throws -> Void) rethrows -> String {
        let saved = output
        output = ""
        defer { output = saved }
        try body()
        return output
    }

    func execute(_ nodes: [TemplateNode]) throws -> Flow {
        for node in nodes {
            let flow = try execute(node)
            if flow != .normal { return flow }
        }
        return .normal
    }

    /// Attaches `location` to location-less runtime errors thrown by `body`.
    func located<T>(_ location: TemplateSourceLocation, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch ChatTemplateError.runtime(let message, nil) {
            throw ChatTemplateError.runtime(message: message, location: location)
        }
    }

    func execute(_ node: TemplateNode) throws -> Flow {
        switch node {
        case .text(let text):
            output += text
        case .output(let expression, let location):
            let value = try located(location) { try evaluate(expression) }
            output += value.pythonString
        case .conditional(let branches, let otherwise, let location):
            for branch in branches where try located(location, { try evaluate(branch.condition).isTruthy }) {
                return try execute(branch.body)
            }
            return try execute(otherwise)
        case .loop(let loop):
            return try executeLoop(loop)
        case .assign(let target, let expression, let location):
            try located(location) {
                let value = try evaluate(expression)
                try assign(value, to: target)
            }
        case .assignBlock(let name, let body, let filters, let location):
            var value = TemplateValue.string(try capture { _ = try execute(body) })
            try located(location) {
                for filter in filters { value = try applyFilter(filter, to: value) }
            }
            assign(name, value)
        case .macro(let macro):
            assign(macro.name, .callable(TemplateCallable(kind: .macro(macro))))
        case .filterBlock(let filters, let body, let location):
            var value = TemplateValue.string(try capture { _ = try execute(body) })
            try located(location) {
                for filter in filters { value = try applyFilter(filter, to: value) }
            }
            output += value.pythonString
        case .scoped(let assignments, let body, let location):
            var frame: [String: TemplateValue] = [:]
            for (name, expression) in assignments {
                frame[name] = try located(location) { try evaluate(expression) }
            }
            scopes.append(frame)
            defer { scopes.removeLast() }
            return try execute(body)
        case .group(let nodes):
            return try execute(nodes)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    func assign(_ value: TemplateValue, to target: TemplateAssignTarget) throws {
        switch target {
        case .names(let names) where names.count == 1:
            assign(names[0], value)
        case .names(let names):
            let items = try value.iterationItems()
            guard items.count == names.count else {
                throw templateRuntimeError("cannot unpack \(items.count) values into \(names.count) names")
            }
            for (name, item) in zip(names, items) { assign(name, item) }
        case .attribute(let object, let attribute):
            guard case .namespace(let namespace) = lookup(object) else {
                throw templateRuntimeError("can only set attributes on namespace objects ('\(object)' is not one)")
            }
            namespace.attributes[attribute] = value
        }
    }

    func executeLoop(_ loop: TemplateForLoop) throws -> Flow {
        let allItems = try located(loop.location) { try evaluate(loop.iterable).iterationItems() }
        var items: [TemplateValue] = []
        if let filter = loop.filter {
            for item in allItems {
                scopes.append([:])
                defer { scopes.removeLast() }
                try bindTargets(loop.targets, to: item, at: loop.location)
                if try located(loop.location, { try evaluate(filter).isTruthy }) { items.append(item) }
            }
        } else {
            items = allItems
        }
        if items.isEmpty { return try execute(loop.otherwise) }
        for (offset, item) in items.enumerated() {
            scopes.append([:])
            defer { scopes.removeLast() }
            try bindTargets(loop.targets, to: item, at: loop.location)
            assign("loop", loopObject(offset: offset, items: items))
            if try execute(loop.body) == .breakLoop { break }
        }
        return .normal
    }

    func bindTargets(_ targets: [String], to item: TemplateValue, at location: TemplateSourceLocation) throws {
        try located(location) { try assign(item, to: .names(targets)) }
    }

    func loopObject(offset: Int, items: [TemplateValue]) -> TemplateValue {
        let count = items.count
        var loop = TemplateDictionary()
        loop["index"] = .int(offset + 1)
        loop["index0"] = .int(offset)
        loop["revindex"] = .int(count - offset)
        loop["revindex0"] = .int(count - offset - 1)
        loop["first"] = .bool(offset == 0)
        loop["last"] = .bool(offset == count - 1)
        loop["length"] = .int(count)
        loop["depth"] = .int(1)
        loop["depth0"] = .int(0)
        if offset > 0 { loop["previtem"] = items[offset - 1] }
        if offset + 1 < count { loop["nextitem"] = items[offset + 1] }
        loop["cycle"] = .callable(TemplateCallable(kind: .loopCycle(index0: offset)))
        return .dictionary(loop)
    }

    /// Calls a macro: binds arguments (defaults evaluated in the macro scope), renders its body.
    func callMacro(_ macro: TemplateMacro, _ arguments: TemplateCallArguments) throws -> TemplateValue {
        guard arguments.positional.count <= macro.parameters.count else {
            throw templateRuntimeError("macro '\(macro.name)' takes not more than \(macro.parameters.count) arguments")
        }
        guard macroDepth < TemplateRenderer.maximumMacroDepth else {
            throw templateRuntimeError("macro '\(macro.name)' nested deeper than \(TemplateRenderer.maximumMacroDepth) calls")
        }
        macroDepth += 1
        let savedScopes = scopes
        defer {
            scopes = savedScopes
            macroDepth -= 1
        }
        scopes = [scopes[0], [:]]
        for (position, parameter) in macro.parameters.enumerated() {
            if position < arguments.positional.count {
                assign(parameter, arguments.positional[position])
            } else if let value = arguments.keyword[parameter] {
                assign(parameter, value)
            } else if let defaultExpression = macro.defaults[position] {
                assign(parameter, try evaluate(defaultExpression))
            } else {
                assign(parameter, .undefined("'\(parameter)' is undefined"))
            }
        }
        let text = try capture { _ = try execute(macro.body) }
        return .string(text)
    }
}
