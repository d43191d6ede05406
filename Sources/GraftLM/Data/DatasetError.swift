import Foundation

/// A problem with a dataset file, located at a file and (where there is one) a 1-based line.
///
/// The description reads `path:line: problem`, so editors and terminals can jump to it.
public struct DatasetError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// A required split file (train.jsonl or valid.jsonl) is absent.
        case missingFile
        /// The file exists but could not be read, or is not UTF-8.
        case unreadable
        /// The file holds no records (only blank lines, or nothing).
        case emptyFile
        /// A line is not valid JSON.
        case invalidJSON
        /// A line is JSON but not an object.
        case notAnObject
        /// A record lacks a key its format needs.
        case missingKey(String)
        /// A key holds a value of the wrong JSON type.
        case wrongType(key: String)
        /// A record has none of the known shapes (`text`, `prompt`+`completion`, `messages`).
        case unknownShape
        /// A record's shape differs from the file's format (set by its first record).
        case mixedFormats(expected: RecordFormat, found: RecordFormat)
        /// A message has a role other than system, user, assistant or tool.
        case unknownRole(String)
        /// Prompt masking is on but a conversation has no assistant message to train on.
        case noAssistantMessage
        /// The records need a chat template and the model has none.
        case missingChatTemplate
        /// The chat template failed, or rendered earlier turns inconsistently.
        case template
        /// The record tokenizes to fewer than two tokens, so it has nothing to predict.
        case tooShort
    }

    /// The kind of problem.
    public let kind: Kind
    /// The file at fault (as given to the loader).
    public let file: String
    /// The 1-based line, when the problem belongs to one record.
    public let line: Int?
    /// A human explanation.
    public let detail: String

    /// An error of `kind` in `file` at `line`, explained by `detail`.
    public init(_ kind: Kind, file: String, line: Int? = nil, detail: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.detail = detail
    }

    /// `file:line: detail` (or `file: detail` without a line).
    public var description: String {
        if let line { return "\(file):\(line): \(detail)" }
        return "\(file): \(detail)"
    }

    /// The same text as ``description``, for `localizedDescription`.
    public var errorDescription: String? { description }
}
