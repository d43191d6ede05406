/// The three record shapes a dataset file may hold, one shape per file.
public enum RecordFormat: String, Sendable, Equatable, CustomStringConvertible {
    /// `{"text": ...}`: plain text, every token trained.
    case text
    /// `{"prompt": ..., "completion": ...}`: rendered as a user turn and an assistant turn.
    case completion
    /// `{"messages": [{"role", "content"}, ...]}`: a conversation.
    case messages

    /// How the format is written in files, e.g. `{"prompt","completion"}`.
    public var description: String {
        switch self {
        case .text: return "{\"text\"}"
        case .completion: return "{\"prompt\",\"completion\"}"
        case .messages: return "{\"messages\"}"
        }
    }
}

/// One record of a dataset file, before tokenization.
public enum DatasetRecord: Sendable {
    /// Plain text.
    case text(String)
    /// A prompt (the user turn) and its completion (the assistant turn).
    case completion(prompt: String, completion: String)
    /// A conversation.
    case messages([ChatMessage])

    /// The record's format.
    public var format: RecordFormat {
        switch self {
        case .text: return .text
        case .completion: return .completion
        case .messages: return .messages
        }
    }
}

/// A record with the 1-based line it was read from.
public struct LocatedRecord: Sendable {
    /// The record.
    public let record: DatasetRecord
    /// Its line in the file.
    public let line: Int

    /// Pairs a record with its line.
    public init(record: DatasetRecord, line: Int) {
        self.record = record
        self.line = line
    }
}
