/// One statement or piece of output in a parsed template.
indirect enum TemplateNode: Sendable {
    /// Literal text copied to the output.
    case text(String)
    /// `{{ expression }}`.
    case output(TemplateExpression, TemplateSourceLocation)
    /// `{% if %}...{% elif %}...{% else %}...{% endif %}`.
    case conditional(branches: [TemplateBranch], otherwise: [TemplateNode], TemplateSourceLocation)
    /// `{% for %}...{% else %}...{% endfor %}`.
    case loop(TemplateForLoop)
    /// `{% set target = value %}`.
    case assign(TemplateAssignTarget, TemplateExpression, TemplateSourceLocation)
    /// `{% set name %}body{% endset %}` (body rendered, then optional filters applied).
    case assignBlock(name: String, body: [TemplateNode], filters: [TemplateFilterCall], TemplateSourceLocation)
    /// `{% macro name(params) %}...{% endmacro %}`.
    case macro(TemplateMacro)
    /// `{% filter name %}...{% endfilter %}`.
    case filterBlock(filters: [TemplateFilterCall], body: [TemplateNode], TemplateSourceLocation)
    /// `{% with a = 1, b = 2 %}...{% endwith %}`: the body runs in a new scope holding the names.
    case scoped(assignments: [(String, TemplateExpression)], body: [TemplateNode], TemplateSourceLocation)
    /// A group of nodes rendered in order (e.g. transformers' `{% generation %}` block).
    case group([TemplateNode])
    /// `{% break %}`.
    case breakLoop(TemplateSourceLocation)
    /// `{% continue %}`.
    case continueLoop(TemplateSourceLocation)
}

/// One `if`/`elif` condition with its body.
struct TemplateBranch: Sendable {
    let condition: TemplateExpression
    let body: [TemplateNode]
}

/// A parsed `for` loop.
struct TemplateForLoop: Sendable {
    /// Loop variable names (more than one means tuple unpacking).
    let targets: [String]
    let iterable: TemplateExpression
    /// The `if` clause filtering items before the loop runs.
    let filter: TemplateExpression?
    let body: [TemplateNode]
    /// The `else` body, rendered when no item was iterated.
    let otherwise: [TemplateNode]
    let location: TemplateSourceLocation
}

/// What a `set` assigns to.
enum TemplateAssignTarget: Sendable {
    /// `set a = ...` or `set a, b = ...`.
    case names([String])
    /// `set ns.attr = ...`.
    case attribute(object: String, attribute: String)
}

/// A filter application: `| name(arguments)`.
struct TemplateFilterCall: Sendable {
    let name: String
    let arguments: TemplateArguments
}

/// Call arguments: positional then keyword.
struct TemplateArguments: Sendable {
    var positional: [TemplateExpression] = []
    var keyword: [(String, TemplateExpression)] = []

    static let empty = TemplateArguments()
}

/// A macro definition; a reference type so that callables can carry it cheaply.
final class TemplateMacro: Sendable {
    let name: String
    let parameters: [String]
    /// Default expressions aligned with `parameters` (nil: required).
    let defaults: [TemplateExpression?]
    let body: [TemplateNode]
    let location: TemplateSourceLocation

    init(name: String, parameters: [String], defaults: [TemplateExpression?], body: [TemplateNode],
         location: TemplateSourceLocation) {
        self.name = name
        self.parameters = parameters
        self.defaults = defaults
        self.body = body
        self.location = location
    }
}

/// Binary operators with numeric or sequence meaning.
enum TemplateBinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//"
    case modulo = "%", power = "**", concat = "~"
}

/// Comparison operators (chainable, as in Python).
enum TemplateComparison: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case contains = "in", notContains = "not in"
}

/// An expression inside `{{ }}` or a tag.
indirect enum TemplateExpression: Sendable {
    case literal(TemplateValue)
    case name(String)
    case list([TemplateExpression])
    case dictionary([(TemplateExpression, TemplateExpression)])
    case attribute(TemplateExpression, String)
    case `subscript`(TemplateExpression, TemplateExpression)
    case slice(TemplateExpression, start: TemplateExpression?, stop: TemplateExpression?, step: TemplateExpression?)
    case call(TemplateExpression, TemplateArguments)
    case filter(TemplateExpression, TemplateFilterCall)
    case test(TemplateExpression, name: String, arguments: TemplateArguments, negated: Bool)
    case not(TemplateExpression)
    case negate(TemplateExpression)
    case plus(TemplateExpression)
    case binary(TemplateBinaryOperator, TemplateExpression, TemplateExpression)
    case compare(TemplateExpression, [(TemplateComparison, TemplateExpression)])
    case and(TemplateExpression, TemplateExpression)
    case or(TemplateExpression, TemplateExpression)
    /// `then if condition else otherwise` (otherwise nil: Undefined when false).
    case conditional(condition: TemplateExpression, then: TemplateExpression, otherwise: TemplateExpression?)
}
