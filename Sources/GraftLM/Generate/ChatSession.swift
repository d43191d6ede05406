/// A conversation with a model that keeps its KV cache across turns: each turn re-renders the
/// whole conversation with the chat template and runs only the tokens after the longest prefix
/// already in the cache.
public final class ChatSession {
    /// The generator in use.
    public let generator: Generator
    /// The conversation so far (system message first, if any).
    public private(set) var messages: [ChatMessage]
    private let cache: KVCache
    /// The tokens whose keys/values the cache holds, position by position.
    private var cachedTokens: [Int32] = []
    private let systemMessage: ChatMessage?

    /// A session, optionally with a system message.
    /// - Throws: ``ModelError/invalidInput(_:)`` when the model file has no chat template.
    public init(_ loaded: LoadedModel, system: String? = nil) throws {
        guard loaded.chatTemplate != nil else {
            throw ModelError.invalidInput("\(loaded.file.path) has no chat template (tokenizer.chat_template); chat needs one")
        }
        generator = Generator(loaded)
        systemMessage = system.map { ChatMessage(role: "system", content: $0) }
        messages = systemMessage.map { [$0] } ?? []
        cache = KVCache(layerCount: loaded.model.config.layerCount, dtype: loaded.model.kvCacheType)
    }

    /// Positions currently held in the KV cache.
    public var cachedLength: Int { cache.length }

    /// Adds a user message, generates the assistant's reply (streamed through `onText`), and
    /// adds the reply to the conversation. On an error the user message is not kept.
    public func respond(to user: String, options: GenerationOptions = GenerationOptions(),
                        onText: (String) -> Void = { _ in }) throws -> GenerationResult {
        let loaded = generator.loaded
        let candidate = messages + [ChatMessage(role: "user", content: user)]
        let prompt = try loaded.chatTokens(candidate, addGenerationPrompt: true)
        // Reuse the longest cached prefix, leaving at least the prompt's last token to run.
        var shared = 0
        let limit = min(cachedTokens.count, cache.length, prompt.count - 1)
        while shared < limit && cachedTokens[shared] == prompt[shared] { shared += 1 }
        cache.truncate(to: shared)
        cachedTokens.removeLast(cachedTokens.count - shared)
        let result: GenerationResult
        do {
            result = try generator.generate(prompt: prompt, options: options, cache: cache, onText: onText)
        } catch {
            cache.reset()
            cachedTokens = []
            throw error
        }
        cachedTokens = Array((prompt + result.tokens).prefix(cache.length))
        messages = candidate + [ChatMessage(role: "assistant", content: result.text)]
        return result
    }

    /// Forgets the conversation (the system message stays) and empties the cache.
    public func reset() {
        messages = systemMessage.map { [$0] } ?? []
        cache.reset()
        cachedTokens = []
    }
}
