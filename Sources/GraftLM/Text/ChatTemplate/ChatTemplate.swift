/// One message of a conversation, as chat templates see it (`message.role`, `message.content`,
/// plus any extra fields such as `tool_calls`, `tool_call_id` or `name`).
public struct ChatMessage: Sendable {
    /// "system", "user", "assistant", "tool", ...
    public var role: String
    /// The message text.
    public var content: String
    /// Additional fields, in the order they should appear in the message dict.
    public var extra: [(String, TemplateValue)]

    /// A message with a role, text and optional extra fields.
    public init(role: String, content: String, extra: [(String, TemplateValue)] = []) {
        self.role = role
        self.content = content
        self.extra = extra
    }

    /// The message as the dict a template iterates over: `{"role", "content", extra...}`.
    public var templateValue: TemplateValue {
        var dictionary = TemplateDictionary()
        dictionary["role"] = .string(role)
        dictionary["content"] = .string(content)
        for (key, value) in extra { dictionary[key] = value }
        return .dictionary(dictionary)
    }
}

/// A model's Jinja chat template, parsed once and rendered for conversations.
///
/// Rendering matches transformers' `apply_chat_template(tokenize=False)`: Jinja with
/// `trim_blocks` and `lstrip_blocks`, loop controls, `raise_exception`, `strftime_now`, and a
/// `tojson` that does not escape non-ASCII or HTML characters.
public struct ChatTemplate: Sendable {
    /// The template text as given.
    public let source: String
    private let nodes: [TemplateNode]

    /// Parses `source`; throws `ChatTemplateError.syntax` naming the line and column of a problem.
    public init(source: String) throws {
        self.source = source
        self.nodes = try TemplateParser.parse(source)
    }

    /// Renders a conversation.
    ///
    /// The context holds `messages`, `add_generation_prompt`, `bos_token`, `eos_token`, and
    /// `tools` and `documents` set to `None` (as transformers passes them); `extraContext`
    /// entries are added last and override these (e.g. `tools`, `date_string`).
    /// - Throws: `ChatTemplateError.raised` when the template calls `raise_exception`,
    ///   `ChatTemplateError.runtime` for other failures.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String, eosToken: String,
                       extraContext: [String: TemplateValue] = [:]) throws -> String {
        var context: [String: TemplateValue] = [
            "messages": .array(messages.map(\.templateValue)),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken),
            "eos_token": .string(eosToken),
            "tools": .none,
            "documents": .none,
        ]
        for (key, value) in extraContext { context[key] = value }
        return try render(context: context)
    }

    /// Renders with an arbitrary context (names visible to the template).
    public func render(context: [String: TemplateValue]) throws -> String {
        let renderer = TemplateRenderer(context: context)
        _ = try renderer.execute(nodes)
        return renderer.output
    }
}
