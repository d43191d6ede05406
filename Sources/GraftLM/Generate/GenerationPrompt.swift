/// One prompt to generate from: text (a user message under the chat template, or plain text),
/// or a whole conversation.
public enum GenerationPrompt: Sendable {
    /// A prompt text.
    case text(String)
    /// Messages rendered with the chat template (which opens the assistant's turn).
    case messages([ChatMessage])

    /// The prompt's token ids: a conversation through the chat template; a text as the user
    /// message after an optional `system` message when `useChatTemplate` and the model has a
    /// template, otherwise as plain text.
    /// - Throws: ``ModelError/invalidInput(_:)`` for messages without a chat template (or with
    ///   `useChatTemplate` off), a system message without the template, or the template's error.
    public func tokens(_ loaded: LoadedModel, system: String? = nil, useChatTemplate: Bool = true) throws -> [Int32] {
        switch self {
        case .text(let text):
            if !useChatTemplate || loaded.chatTemplate == nil {
                guard system == nil else {
                    throw ModelError.invalidInput("a system message needs the chat template (drop --no-chat-template)")
                }
                return loaded.textTokens(text)
            }
            let messages = (system.map { [ChatMessage(role: "system", content: $0)] } ?? []) + [ChatMessage(role: "user", content: text)]
            return try loaded.chatTokens(messages)
        case .messages(let messages):
            guard useChatTemplate else { throw ModelError.invalidInput("a prompt given as messages needs the chat template (drop --no-chat-template)") }
            return try loaded.chatTokens(messages)
        }
    }
}
