import Foundation

/// A problem with a prompts file (`graft generate --prompts`), located at the file and, where
/// there is one, a 1-based line. The description reads `path:line: problem`.
public struct PromptFileError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The file at fault (as given).
    public let file: String
    /// The 1-based line, when the problem belongs to one line.
    public let line: Int?
    /// A human explanation.
    public let detail: String

    /// An error in `file` at `line`, explained by `detail`.
    public init(file: String, line: Int? = nil, detail: String) {
        self.file = file
        self.line = line
        self.detail = detail
    }

    /// `file:line: detail` (or `file: detail` without a line).
    public var description: String {
        if let line { return "\(file):\(line): \(detail)" }
        return "\(file): \(detail)"
    }

    public var errorDescription: String? { description }
}
