/// One training example as token ids, with the tokens the loss covers.
///
/// `trained[i]` says whether predicting `tokens[i]` (from the tokens before it) is part of the
/// loss. Token 0 is never predicted, whatever its flag.
public struct TokenizedExample: Sendable, Equatable {
    /// The token ids (at most the split's `maxSequenceLength`).
    public let tokens: [Int32]
    /// One flag per token: whether the loss covers it.
    public let trained: [Bool]
    /// The 1-based line of the record in its file (0 when not read from a file).
    public let line: Int
    /// The number of tokens before truncation.
    public let untruncatedLength: Int

    /// An example from ids and flags (equal counts).
    public init(tokens: [Int32], trained: [Bool], line: Int, untruncatedLength: Int? = nil) {
        precondition(tokens.count == trained.count, "TokenizedExample: \(tokens.count) tokens but \(trained.count) flags")
        self.tokens = tokens
        self.trained = trained
        self.line = line
        self.untruncatedLength = untruncatedLength ?? tokens.count
    }

    /// Number of tokens.
    public var length: Int { tokens.count }

    /// Whether tokens were cut off by truncation.
    public var isTruncated: Bool { untruncatedLength > tokens.count }

    /// Whether the loss covers predicting token `index` (never true for token 0).
    public func isTarget(_ index: Int) -> Bool { index > 0 && trained[index] }

    /// The number of tokens the loss covers (targets 1..<length that are trained).
    public var trainedTokenCount: Int {
        var count = 0
        for index in 1..<max(1, tokens.count) where trained[index] { count += 1 }
        return count
    }

    /// The first `maxLength` tokens (the example itself when it is not longer).
    public func truncated(to maxLength: Int) -> TokenizedExample {
        guard tokens.count > maxLength else { return self }
        return TokenizedExample(tokens: Array(tokens[..<maxLength]), trained: Array(trained[..<maxLength]),
                                line: line, untruncatedLength: untruncatedLength)
    }
}
