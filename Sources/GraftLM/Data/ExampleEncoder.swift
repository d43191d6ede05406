/// Turns dataset records into token ids and trained-token flags, the way mlx-lm does for chat
/// models.
///
/// * `text`: the tokenizer's plain encoding (special tokens parsed, BOS/EOS as the tokenizer
///   adds them), then EOS unless the last id already is EOS. Every token is trained.
/// * `prompt`/`completion`: the chat template renders `[user: prompt, assistant: completion]`
///   and the text is encoded without adding special tokens. With `maskPrompt`, training starts
///   at the token count of `[user: prompt]` rendered with the generation prompt.
/// * `messages`: the template renders the conversation. With `maskPrompt`, each assistant turn
///   is trained, from the token count of the turns before it (with the generation prompt) to
///   the token count of the turns up to it: its content, its end-of-turn token and whatever the
///   template puts after that (SmolLM2: a newline).
/// * Chat formats get EOS appended when the rendering does not already end with EOS followed
///   only by whitespace tokens; an appended EOS is trained when the token before it is.
/// * Without `maskPrompt` every token is trained.
public struct ExampleEncoder: Sendable {
    /// The tokenizer.
    public let tokenizer: BPETokenizer
    /// The chat template (needed for `prompt`/`completion` and `messages` records).
    public let chatTemplate: ChatTemplate?
    /// Whether only completion / assistant tokens are trained.
    public let maskPrompt: Bool

    /// An encoder with an explicit template.
    public init(tokenizer: BPETokenizer, chatTemplate: ChatTemplate?, maskPrompt: Bool) {
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.maskPrompt = maskPrompt
    }

    /// An encoder using the template shipped with the tokenizer (`tokenizer.chatTemplate`), if any.
    /// - Throws: `ChatTemplateError` when that template does not parse.
    public init(tokenizer: BPETokenizer, maskPrompt: Bool) throws {
        self.init(tokenizer: tokenizer, chatTemplate: try tokenizer.chatTemplate.map { try ChatTemplate(source: $0) },
                  maskPrompt: maskPrompt)
    }

    /// Encodes one record. `file` and `line` locate it in errors and are kept in the example.
    /// - Throws: ``DatasetError`` (missing chat template, template failure, no assistant
    ///   message to train with `maskPrompt`, fewer than two tokens).
    public func encode(_ record: DatasetRecord, file: String = "<record>", line: Int = 0) throws -> TokenizedExample {
        var tokens: [Int32]
        var trained: [Bool]
        switch record {
        case .text(let text):
            tokens = tokenizer.encode(text)
            if let eos = tokenizer.eosTokenID, tokens.last != eos { tokens.append(eos) }
            trained = [Bool](repeating: true, count: tokens.count)
        case .completion(let prompt, let completion):
            let conversation = [ChatMessage(role: "user", content: prompt),
                                ChatMessage(role: "assistant", content: completion)]
            (tokens, trained) = try encodeChat(conversation, trainedTurns: maskPrompt ? [1] : nil, file: file, line: line)
        case .messages(let messages):
            var turns: [Int]? = nil
            if maskPrompt {
                turns = messages.indices.filter { messages[$0].role == "assistant" }
                if turns!.isEmpty {
                    throw DatasetError(.noAssistantMessage, file: file, line: line,
                                       detail: "the conversation has no assistant message, so prompt masking leaves nothing to train")
                }
            }
            (tokens, trained) = try encodeChat(messages, trainedTurns: turns, file: file, line: line)
        }
        guard tokens.count >= 2 else {
            throw DatasetError(.tooShort, file: file, line: line,
                               detail: "the record gives \(tokens.count) token\(tokens.count == 1 ? "" : "s"); at least 2 are needed to train")
        }
        return TokenizedExample(tokens: tokens, trained: trained, line: line)
    }

    /// Renders and encodes a conversation; `trainedTurns` nil trains everything.
    private func encodeChat(_ messages: [ChatMessage], trainedTurns: [Int]?, file: String,
                            line: Int) throws -> ([Int32], [Bool]) {
        guard let chatTemplate else {
            throw DatasetError(.missingChatTemplate, file: file, line: line,
                               detail: "chat records need the model's chat template, and the model has none (use {\"text\"} records)")
        }
        let full = try render(chatTemplate, messages, generationPrompt: false, file: file, line: line)
        var tokens = tokenizer.encode(full, addSpecialTokens: false)
        var trained: [Bool]
        if let trainedTurns {
            trained = [Bool](repeating: false, count: tokens.count)
            for turn in trainedTurns {
                let before = try render(chatTemplate, Array(messages[..<turn]), generationPrompt: true, file: file, line: line)
                let through = turn == messages.count - 1
                    ? full : try render(chatTemplate, Array(messages[...turn]), generationPrompt: false, file: file, line: line)
                guard full.hasPrefix(before), full.hasPrefix(through) else {
                    throw DatasetError(.template, file: file, line: line,
                                       detail: "the chat template renders the turns before message \(turn) differently inside the whole conversation, so the assistant tokens cannot be located for prompt masking")
                }
                let start = tokenizer.encode(before, addSpecialTokens: false).count
                let end = turn == messages.count - 1 ? tokens.count : tokenizer.encode(through, addSpecialTokens: false).count
                if start < end { for index in start..<min(end, tokens.count) { trained[index] = true } }
            }
        } else {
            trained = [Bool](repeating: true, count: tokens.count)
        }
        if let eos = tokenizer.eosTokenID, !endsWithEOS(tokens, eos: eos) {
            trained.append(trained.last ?? true)
            tokens.append(eos)
        }
        return (tokens, trained)
    }

    /// Whether `tokens` end with `eos` followed only by whitespace tokens.
    private func endsWithEOS(_ tokens: [Int32], eos: Int32) -> Bool {
        var index = tokens.count - 1
        while index >= 0, tokens[index] != eos, isWhitespaceToken(tokens[index]) { index -= 1 }
        return index >= 0 && tokens[index] == eos
    }

    private func isWhitespaceToken(_ id: Int32) -> Bool {
        guard let text = try? tokenizer.decode([id]), !text.isEmpty else { return false }
        return text.allSatisfy(\.isWhitespace)
    }

    private func render(_ template: ChatTemplate, _ messages: [ChatMessage], generationPrompt: Bool,
                        file: String, line: Int) throws -> String {
        let bos = tokenizer.bosTokenID.flatMap { tokenizer.token(for: $0) } ?? ""
        let eos = tokenizer.eosTokenID.flatMap { tokenizer.token(for: $0) } ?? ""
        do {
            return try template.render(messages: messages, addGenerationPrompt: generationPrompt, bosToken: bos, eosToken: eos)
        } catch {
            throw DatasetError(.template, file: file, line: line, detail: "the chat template failed: \(error)")
        }
    }
}
