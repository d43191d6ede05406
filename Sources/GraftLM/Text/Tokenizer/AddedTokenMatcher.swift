/// A token that is matched as literal text before pre-tokenization and never split
/// (Hugging Face "added tokens"; GGUF control and user-defined tokens).
public struct AddedToken: Sendable, Equatable {
    /// The token id.
    public let id: Int32
    /// The literal text.
    public let content: String
    /// Whether this is a special (control) token: skipped when decoding with
    /// `skipSpecialTokens`, and matched in text only when special tokens are parsed.
    public let special: Bool
    /// Whether the match swallows the whitespace just before it.
    public let leftStrip: Bool
    /// Whether the match swallows the whitespace just after it.
    public let rightStrip: Bool

    /// Creates an added token.
    public init(id: Int32, content: String, special: Bool, leftStrip: Bool = false, rightStrip: Bool = false) {
        self.id = id
        self.content = content
        self.special = special
        self.leftStrip = leftStrip
        self.rightStrip = rightStrip
    }
}

/// Finds added tokens in a scalar sequence, leftmost first and longest at a position.
struct AddedTokenMatcher: Sendable {
    private struct Node: Sendable {
        var children: [UInt32: Int32] = [:]
        /// Index into `tokens` of the token ending here, or -1.
        var tokenIndex: Int32 = -1
    }

    private var nodes: [Node] = [Node()]
    private(set) var tokens: [AddedToken] = []
    /// Bitmap over ASCII of scalars that start some token; non-ASCII starts are in `otherStarts`.
    private var asciiStarts: (UInt64, UInt64) = (0, 0)
    private var otherStarts: Set<UInt32> = []

    init(tokens: [AddedToken]) {
        for token in tokens where !token.content.isEmpty {
            insert(token)
        }
    }

    var isEmpty: Bool { tokens.isEmpty }

    private mutating func insert(_ token: AddedToken) {
        var node = 0
        for scalar in token.content.unicodeScalars {
            if let child = nodes[node].children[scalar.value] {
                node = Int(child)
            } else {
                nodes.append(Node())
                nodes[node].children[scalar.value] = Int32(nodes.count - 1)
                node = nodes.count - 1
            }
        }
        // A later duplicate of the same text keeps the first definition.
        guard nodes[node].tokenIndex < 0 else { return }
        nodes[node].tokenIndex = Int32(tokens.count)
        tokens.append(token)
        let first = token.content.unicodeScalars.first!.value
        if first < 64 {
            asciiStarts.0 |= 1 << UInt64(first)
        } else if first < 128 {
            asciiStarts.1 |= 1 << UInt64(first - 64)
        } else {
            otherStarts.insert(first)
        }
    }

    @inline(__always)
    private func mayStart(_ value: UInt32) -> Bool {
        if value < 64 { return asciiStarts.0 & (1 << UInt64(value)) != 0 }
        if value < 128 { return asciiStarts.1 & (1 << UInt64(value - 64)) != 0 }
        return !otherStarts.isEmpty && otherStarts.contains(value)
    }

    /// A match: the scalar range it covers (including stripped whitespace) and the token.
    struct Match {
        var start: Int
        var end: Int
        var token: AddedToken
    }

    /// The leftmost-longest match in `from..<scalars.count` among tokens allowed by
    /// `includeSpecial`, extended over whitespace for lstrip/rstrip tokens but never before
    /// `from`.
    func firstMatch(in scalars: UnsafeBufferPointer<UInt32>, classes: UnsafeBufferPointer<UInt8>,
                    from: Int, includeSpecial: Bool) -> Match? {
        var position = from
        let count = scalars.count
        while position < count {
            if mayStart(scalars[position]) {
                var node = 0
                var index = position
                var best: (end: Int, token: Int32)?
                while index < count, let child = nodes[node].children[scalars[index]] {
                    node = Int(child)
                    index += 1
                    let tokenIndex = nodes[node].tokenIndex
                    if tokenIndex >= 0 && (includeSpecial || !tokens[Int(tokenIndex)].special) {
                        best = (index, tokenIndex)
                    }
                }
                if let best {
                    let token = tokens[Int(best.token)]
                    var start = position
                    var end = best.end
                    if token.leftStrip {
                        while start > from && classes[start - 1] == ScalarClass.whitespace { start -= 1 }
                    }
                    if token.rightStrip {
                        while end < count && classes[end] == ScalarClass.whitespace { end += 1 }
                    }
                    return Match(start: start, end: end, token: token)
                }
            }
            position += 1
        }
        return nil
    }
}
