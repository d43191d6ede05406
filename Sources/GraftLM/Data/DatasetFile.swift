import Foundation

/// A JSON Lines dataset file, parsed into records (no tokenization).
///
/// Each non-blank line is one JSON object. The first record fixes the file's format;
/// a later record of another shape is an error. Shapes are recognised as mlx-lm does:
/// `prompt`/`completion` first, then `messages`, then `text`. Other keys are ignored.
public struct DatasetFile: Sendable {
    /// The file as given.
    public let path: String
    /// The format of every record.
    public let format: RecordFormat
    /// The records with their lines.
    public let records: [LocatedRecord]

    /// Roles a `messages` record may use.
    public static let knownRoles: Set<String> = ["system", "user", "assistant", "tool"]

    /// Reads and parses `path`.
    /// - Throws: ``DatasetError`` naming the file and line (unreadable file, empty file, bad
    ///   JSON, not an object, missing key, wrong type, unknown shape, mixed formats, unknown role).
    public init(path: String) throws {
        self.path = path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DatasetError(.unreadable, file: path, detail: "cannot read the file: \(error.localizedDescription)")
        }
        var records: [LocatedRecord] = []
        var format: RecordFormat?
        var firstLine = 0
        var lineNumber = 0
        var lineStart = data.startIndex
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { lineStart += 3 }  // a UTF-8 byte-order mark
        while lineStart < data.endIndex {
            lineNumber += 1
            let newline = data[lineStart...].firstIndex(of: 0x0A) ?? data.endIndex
            let line = data[lineStart..<newline]
            lineStart = newline < data.endIndex ? data.index(after: newline) : data.endIndex
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let record = try Self.parse(line: line, file: path, lineNumber: lineNumber)
            if let format {
                if record.format != format {
                    throw DatasetError(
                        .mixedFormats(expected: format, found: record.format), file: path, line: lineNumber,
                        detail: "this is a \(record.format) record, but the file's first record (line \(firstLine)) is \(format); use one format per file")
                }
            } else {
                format = record.format
                firstLine = lineNumber
            }
            records.append(LocatedRecord(record: record, line: lineNumber))
        }
        guard let format else {
            throw DatasetError(.emptyFile, file: path, detail: "the file holds no records (expected one JSON object per line)")
        }
        self.format = format
        self.records = records
    }

    /// Parses one line into a record.
    static func parse(line: Data, file: String, lineNumber: Int) throws -> DatasetRecord {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: line, options: [.fragmentsAllowed])
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error.localizedDescription)"
            throw DatasetError(.invalidJSON, file: file, line: lineNumber, detail: "invalid JSON: \(reason)")
        }
        guard let fields = object as? [String: Any] else {
            throw DatasetError(.notAnObject, file: file, line: lineNumber,
                               detail: "expected a JSON object, found \(jsonTypeName(object))")
        }
        func string(_ key: String, in dictionary: [String: Any], name: String? = nil) throws -> String {
            let label = name ?? key
            guard let value = dictionary[key] else {
                throw DatasetError(.missingKey(label), file: file, line: lineNumber, detail: "missing key \"\(label)\"")
            }
            guard let text = value as? String else {
                throw DatasetError(.wrongType(key: label), file: file, line: lineNumber,
                                   detail: "\"\(label)\" must be a string, found \(jsonTypeName(value))")
            }
            return text
        }
        if fields["prompt"] != nil || fields["completion"] != nil {
            return .completion(prompt: try string("prompt", in: fields), completion: try string("completion", in: fields))
        }
        if let value = fields["messages"] {
            guard let list = value as? [Any] else {
                throw DatasetError(.wrongType(key: "messages"), file: file, line: lineNumber,
                                   detail: "\"messages\" must be an array of {\"role\", \"content\"} objects, found \(jsonTypeName(value))")
            }
            guard !list.isEmpty else {
                throw DatasetError(.wrongType(key: "messages"), file: file, line: lineNumber,
                                   detail: "\"messages\" is empty; a conversation needs at least one message")
            }
            var messages: [ChatMessage] = []
            messages.reserveCapacity(list.count)
            for (index, item) in list.enumerated() {
                let name = "messages[\(index)]"
                guard let message = item as? [String: Any] else {
                    throw DatasetError(.wrongType(key: name), file: file, line: lineNumber,
                                       detail: "\(name) must be an object with \"role\" and \"content\", found \(jsonTypeName(item))")
                }
                let role = try string("role", in: message, name: "\(name).role")
                guard knownRoles.contains(role) else {
                    throw DatasetError(.unknownRole(role), file: file, line: lineNumber,
                                       detail: "\(name) has the unknown role \"\(role)\" (expected one of assistant, system, tool, user)")
                }
                let content = try string("content", in: message, name: "\(name).content")
                messages.append(ChatMessage(role: role, content: content))
            }
            return .messages(messages)
        }
        if fields["text"] != nil {
            return .text(try string("text", in: fields))
        }
        let keys = fields.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        throw DatasetError(.unknownShape, file: file, line: lineNumber,
                           detail: "unknown record shape (keys: \(keys.isEmpty ? "none" : keys)); expected {\"text\"}, {\"prompt\",\"completion\"} or {\"messages\"}")
    }

    /// The JSON type of a value from `JSONSerialization`, for messages.
    static func jsonTypeName(_ value: Any) -> String {
        switch value {
        case is String: return "a string"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        case let number as NSNumber:
            // JSONSerialization gives booleans as NSNumber with the Objective-C type "c".
            return String(cString: number.objCType) == "c" ? "a boolean" : "a number"
        default: return "\(type(of: value))"
        }
    }
}
