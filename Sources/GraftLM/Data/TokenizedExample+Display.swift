extension TokenizedExample {
    /// A run of consecutive tokens that are all trained or all untrained, decoded to text.
    public struct Segment: Sendable, Equatable {
        /// The decoded text of the run (special tokens included).
        public let text: String
        /// Whether the loss covers these tokens.
        public let trained: Bool
    }

    /// The example as text in runs of trained and untrained tokens (token 0 counts as
    /// untrained: it is never predicted), so users can see what the loss covers.
    /// - Throws: ``TokenizerError`` if an id is not in `tokenizer`'s vocabulary.
    public func segments(decodedWith tokenizer: BPETokenizer) throws -> [Segment] {
        var segments: [Segment] = []
        var start = 0
        while start < tokens.count {
            let flag = isTarget(start)
            var end = start + 1
            while end < tokens.count && isTarget(end) == flag { end += 1 }
            segments.append(Segment(text: try tokenizer.decode(Array(tokens[start..<end])), trained: flag))
            start = end
        }
        return segments
    }
}
