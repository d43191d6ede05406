/// Turns token ids into text as they arrive, holding back the bytes of a UTF-8 sequence that
/// the next token may complete. The concatenation of everything it returns (including
/// ``finish()``) equals ``BPETokenizer/decode(_:skipSpecialTokens:)`` of all the ids.
public struct StreamingDetokenizer: Sendable {
    private let tokenizer: BPETokenizer
    private let skipSpecialTokens: Bool
    private var pending: [UInt8] = []

    /// Creates a detokenizer; ``BPETokenizer/makeStreamingDetokenizer(skipSpecialTokens:)`` is
    /// the usual way.
    public init(tokenizer: BPETokenizer, skipSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one id and returns the text it completes (possibly empty).
    public mutating func append(_ id: Int32) throws -> String {
        try tokenizer.appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &pending)
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Returns whatever is held back (an incomplete sequence decodes to U+FFFD) and resets.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence
    /// that is valid so far but incomplete. Decoding that prefix alone gives the same text as
    /// decoding it as part of any longer byte string.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        // The last non-continuation byte within the last four bytes.
        var lead = count - 1
        while lead >= 0 && lead >= count - 4 && bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
        guard lead >= 0 && lead >= count - 4 else { return count }
        let first = bytes[lead]
        let needed: Int
        switch first {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return count  // ASCII or an invalid lead: nothing to wait for
        }
        let have = count - lead
        guard have < needed else { return count }
        if have >= 2 {
            let second = bytes[lead + 1]
            let valid: ClosedRange<UInt8>
            switch first {
            case 0xE0: valid = 0xA0...0xBF
            case 0xED: valid = 0x80...0x9F
            case 0xF0: valid = 0x90...0xBF
            case 0xF4: valid = 0x80...0x8F
            default: valid = 0x80...0xBF
            }
            guard valid.contains(second) else { return count }
        }
        return lead
    }
}
