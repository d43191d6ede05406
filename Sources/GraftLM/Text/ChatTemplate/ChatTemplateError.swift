/// A position in a template's source: 1-based line and column (columns count Unicode scalars).
public struct TemplateSourceLocation: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number.
    public let line: Int
    /// 1-based column number, in Unicode scalars.
    public let column: Int

    /// A location at `line` and `column` (both 1-based).
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// "line L, column C".
    public var description: String { "line \(line), column \(column)" }
}

/// Errors from parsing or rendering a chat template.
public enum ChatTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The template text is not valid Jinja (or uses syntax this interpreter does not support).
    case syntax(message: String, location: TemplateSourceLocation)
    /// The template called `raise_exception(message)`.
    case raised(message: String)
    /// Rendering failed (type error, undefined value used, unsupported feature...).
    case runtime(message: String, location: TemplateSourceLocation?)

    /// A human-readable explanation naming the position in the template where known.
    public var description: String {
        switch self {
        case .syntax(let message, let location):
            return "chat template syntax error at \(location): \(message)"
        case .raised(let message):
            return "chat template raised an exception: \(message)"
        case .runtime(let message, let location):
            if let location { return "chat template error at \(location): \(message)" }
            return "chat template error: \(message)"
        }
    }

    /// The message without position, as the template or interpreter stated it.
    public var message: String {
        switch self {
        case .syntax(let message, _), .raised(let message), .runtime(let message, _): return message
        }
    }
}

/// Shorthand used by the interpreter for errors whose location is filled in by the enclosing statement.
func templateRuntimeError(_ message: String) -> ChatTemplateError {
    .runtime(message: message, location: nil)
}
