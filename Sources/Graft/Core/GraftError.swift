/// An error raised by a tensor operation: names the operation and the shapes or values involved.
public struct GraftError: Error, CustomStringConvertible, Sendable {
    /// The operation that failed (`"add"`, `"matmul"`, `"grad"`, ...).
    public let op: String
    /// What was wrong, with shapes and dtypes.
    public let message: String

    public init(_ op: String, _ message: String) {
        self.op = op
        self.message = message
    }

    public var description: String { "\(op): \(message)" }
}

/// Collects the first error raised inside `checked { }`.
final class ErrorSink: @unchecked Sendable {
    var errors: [GraftError] = []
}

enum ErrorContext {
    @TaskLocal static var sink: ErrorSink?
}

/// Runs `body`, turning errors raised by tensor operations into a thrown `GraftError`.
///
/// Outside `checked`, a bad operation (shape mismatch, axis out of range, ...) stops the
/// program with the error's description, like a failed precondition. Inside, the operation
/// returns a placeholder tensor, the error is recorded, and the first one is thrown when
/// `body` returns. Placeholders must not be evaluated; `eval` inside `checked` throws instead.
public func checked<R>(_ body: () throws -> R) throws -> R {
    let sink = ErrorSink()
    let result = try ErrorContext.$sink.withValue(sink) { try body() }
    if let first = sink.errors.first { throw first }
    return result
}

/// Reports a failed operation: recorded inside `checked`, fatal outside it.
func raise(_ error: GraftError) {
    if let sink = ErrorContext.sink {
        sink.errors.append(error)
    } else {
        fatalError(error.description)
    }
}

/// True when an error has already been recorded in the current `checked` block.
var hasPendingError: Bool { !(ErrorContext.sink?.errors.isEmpty ?? true) }
