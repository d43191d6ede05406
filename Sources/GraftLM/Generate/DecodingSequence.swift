/// One sequence being generated: its sampler, history, produced tokens and text, and why it
/// ended. ``Generator`` drives one; ``BatchGenerator`` drives one per prompt.
struct DecodingSequence {
    private var sampler: Sampler
    private var history: [Int32]
    private var detokenizer: StreamingDetokenizer
    private let stops: Set<Int32>
    private let maxTokens: Int
    /// Tokens produced so far (a final stop token included).
    private(set) var produced: [Int32] = []
    /// Text of the produced tokens (special tokens skipped).
    private(set) var text = ""
    /// Why the sequence ended (meaningful once `isFinished`).
    private(set) var finishReason = FinishReason.maxTokens
    /// Whether no more tokens will be produced.
    private(set) var isFinished: Bool

    init(prompt: [Int32], options: GenerationOptions, stops: Set<Int32>, tokenizer: BPETokenizer) throws {
        sampler = try Sampler(options.sampling)
        history = prompt
        history.reserveCapacity(prompt.count + options.maxTokens)
        produced.reserveCapacity(options.maxTokens)
        detokenizer = tokenizer.makeStreamingDetokenizer(skipSpecialTokens: true)
        self.stops = stops
        maxTokens = options.maxTokens
        isFinished = options.maxTokens == 0
    }

    /// The last token produced.
    var lastToken: Int32? { produced.last }

    /// Chooses the next token from `logits` and returns its text (possibly empty). The sequence
    /// finishes on a stop token, at `maxTokens`, or when its `positions` (prompt and tokens
    /// already run through the model) fill `contextLength`, so the new token cannot be run.
    mutating func advance(logits: ArraySlice<Float>, positions: Int, contextLength: Int) throws -> String {
        precondition(!isFinished, "DecodingSequence: advanced after finishing")
        let token = sampler.next(logits: Array(logits), history: history)
        produced.append(token)
        history.append(token)
        var piece = ""
        if stops.contains(token) {
            finish(.stopToken)
        } else {
            piece = try detokenizer.append(token)
            if produced.count == maxTokens {
                finish(.maxTokens)
            } else if positions >= contextLength {
                finish(.contextLength)
            }
        }
        // The last piece carries any text held back for incomplete UTF-8.
        if isFinished { piece += detokenizer.finish() }
        text += piece
        return piece
    }

    private mutating func finish(_ reason: FinishReason) {
        finishReason = reason
        isFinished = true
    }
}
