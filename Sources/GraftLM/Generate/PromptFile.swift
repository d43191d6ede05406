import Foundation

/// Reads the prompts of `graft generate --prompts FILE`.
///
/// Two formats: plain text, one prompt per line; or JSON Lines, one object per line with a
/// `"prompt"` string or a `"messages"` array of `{"role", "content"}` objects (other keys are
/// ignored). A `.jsonl`/`.json` file is JSON Lines, a `.txt` file plain text; otherwise a file
/// whose first non-blank line starts with `{` is JSON Lines. Blank lines are skipped in both.
public enum PromptFile {
    /// The prompts of the file at `url`.
    /// - Throws: ``PromptFileError`` naming the file (and line) when it cannot be read, holds
    ///   no prompts, or has a line that is not a valid record.
    public static func read(_ url: URL) throws -> [GenerationPrompt] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PromptFileError(file: url.path, detail: "cannot read the prompts file (\(error.localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PromptFileError(file: url.path, detail: "the prompts file is not UTF-8 text")
        }
        let ext = url.pathExtension.lowercased()
        let jsonLines: Bool? = ext == "jsonl" || ext == "json" ? true : ext == "txt" ? false : nil
        return try parse(text, file: url.path, jsonLines: jsonLines)
    }

    /// The prompts in `text`; `file` names the source in errors; `jsonLines` nil detects the
    /// format from the first non-blank line.
    public static func parse(_ text: String, file: String, jsonLines: Bool? = nil) throws -> [GenerationPrompt] {
        // "\r\n" is one Character in Swift, so both line ends are separators.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        let firstLine = lines.first { !$0.allSatisfy(\.isWhitespace) }
        let isJSON = jsonLines ?? (firstLine?.drop(while: \.isWhitespace).first == "{")
        var prompts: [GenerationPrompt] = []
        for (index, line) in lines.enumerated() where !line.allSatisfy(\.isWhitespace) {
            prompts.append(isJSON ? try record(line, file: file, line: index + 1) : .text(String(line)))
        }
        guard !prompts.isEmpty else { throw PromptFileError(file: file, detail: "no prompts (the file has only blank lines)") }
        return prompts
    }

    /// One JSON Lines record.
    static func record(_ line: Substring, file: String, line number: Int) throws -> GenerationPrompt {
        func fail(_ detail: String) -> PromptFileError { PromptFileError(file: file, line: number, detail: detail) }
        let value: Any
        do { value = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) } catch {
            throw fail("invalid JSON (\(error.localizedDescription)); each line must be one JSON object")
        }
        guard let object = value as? [String: Any] else { throw fail("expected a JSON object with \"prompt\" or \"messages\"") }
        switch (object["prompt"], object["messages"]) {
        case (.some, .some):
            throw fail("has both \"prompt\" and \"messages\"; give one")
        case (let prompt?, nil):
            guard let text = prompt as? String else { throw fail("\"prompt\" must be a string") }
            return .text(text)
        case (nil, let messages?):
            guard let list = messages as? [Any], !list.isEmpty else { throw fail("\"messages\" must be a non-empty array") }
            return .messages(try list.enumerated().map { position, item in
                guard let message = item as? [String: Any], let role = message["role"] as? String,
                      let content = message["content"] as? String else {
                    throw fail("message \(position) must be an object with string \"role\" and \"content\"")
                }
                return ChatMessage(role: role, content: content)
            })
        case (nil, nil):
            throw fail("no \"prompt\" or \"messages\" key")
        }
    }
}
