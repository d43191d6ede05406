/// Hand-written equivalents of the pre-tokenizer regular expressions.
///
/// Each function returns where the match that starts at `position` ends, exactly as the
/// regular expression (leftmost alternative wins, greedy quantifiers with backtracking,
/// `(?!\S)` true at the end of the piece) would. Positions index Unicode scalars; `classes`
/// holds each scalar's ``ScalarClass``. Every scalar is covered by some alternative, so a
/// match always advances by at least one scalar.
enum PatternScanner {
    private static let apostrophe: UInt32 = 0x27
    private static let space: UInt32 = 0x20
    private static let carriageReturn: UInt32 = 0x0D
    private static let lineFeed: UInt32 = 0x0A

    /// End of the run of scalars of class `cls` starting at `position`.
    @inline(__always)
    private static func runEnd(_ classes: UnsafeBufferPointer<UInt8>, _ cls: UInt8,
                               from position: Int, end: Int) -> Int {
        var index = position
        while index < end && classes[index] == cls { index += 1 }
        return index
    }

    /// `\s+(?!\S)|\s+` at a whitespace scalar: the whole run if it reaches the end of the
    /// piece, otherwise the run minus its last scalar (left for the next word), at least one.
    @inline(__always)
    private static func whitespaceMatchEnd(_ classes: UnsafeBufferPointer<UInt8>, at position: Int,
                                           end: Int) -> Int {
        let runStop = runEnd(classes, ScalarClass.whitespace, from: position, end: end)
        if runStop == end { return runStop }
        return runStop - 1 > position ? runStop - 1 : runStop
    }

    /// Hugging Face `Digits`: a numeric scalar alone (or a run of them), or a run of others.
    static func digitsMatchEnd(classes: UnsafeBufferPointer<UInt8>, at position: Int, end: Int,
                               individually: Bool) -> Int {
        if classes[position] == ScalarClass.number {
            return individually ? position + 1 : runEnd(classes, ScalarClass.number, from: position, end: end)
        }
        var index = position + 1
        while index < end && classes[index] != ScalarClass.number { index += 1 }
        return index
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` (case-sensitive when `caseInsensitive` is false).
    @inline(__always)
    private static func contractionEnd(_ scalars: UnsafeBufferPointer<UInt32>, at position: Int,
                                       end: Int, caseInsensitive: Bool) -> Int? {
        guard scalars[position] == apostrophe, position + 1 < end else { return nil }
        func folded(_ value: UInt32) -> UInt32 {
            guard caseInsensitive else { return value }
            if value >= 0x41 && value <= 0x5A { return value + 0x20 }  // A-Z
            if value == 0x17F { return 0x73 }  // LATIN SMALL LETTER LONG S case-folds to "s"
            return value
        }
        let first = folded(scalars[position + 1])
        switch first {
        case 0x73, 0x74, 0x6D, 0x64:  // s t m d
            return position + 2
        case 0x72, 0x76, 0x6C:  // r v l
            guard position + 2 < end else { return nil }
            let second = folded(scalars[position + 2])
            let expected: UInt32 = first == 0x6C ? 0x6C : 0x65  // "ll", or "re"/"ve"
            return second == expected ? position + 3 : nil
        default:
            return nil
        }
    }

    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    static func gpt2MatchEnd(scalars: UnsafeBufferPointer<UInt32>, classes: UnsafeBufferPointer<UInt8>,
                             at position: Int, end: Int) -> Int {
        if let stop = contractionEnd(scalars, at: position, end: end, caseInsensitive: false) {
            return stop
        }
        // The optional leading space of the next three alternatives only helps when the
        // scalar after it starts a run; otherwise the run must start at `position`.
        var start = position
        if scalars[position] == space && position + 1 < end && classes[position + 1] != ScalarClass.whitespace {
            start = position + 1
        }
        let cls = classes[start]
        if cls != ScalarClass.whitespace {
            return runEnd(classes, cls, from: start, end: end)
        }
        return whitespaceMatchEnd(classes, at: position, end: end)
    }

    /// Llama 3 / Qwen2: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,n}|`
    /// ` ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    static func llama3MatchEnd(scalars: UnsafeBufferPointer<UInt32>, classes: UnsafeBufferPointer<UInt8>,
                               at position: Int, end: Int, maxDigits: Int) -> Int {
        if let stop = contractionEnd(scalars, at: position, end: end, caseInsensitive: true) {
            return stop
        }
        let scalar = scalars[position]
        let cls = classes[position]
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if cls == ScalarClass.letter {
            return runEnd(classes, ScalarClass.letter, from: position, end: end)
        }
        if cls != ScalarClass.number && scalar != carriageReturn && scalar != lineFeed
            && position + 1 < end && classes[position + 1] == ScalarClass.letter {
            return runEnd(classes, ScalarClass.letter, from: position + 1, end: end)
        }
        // \p{N}{1,n}
        if cls == ScalarClass.number {
            var index = position + 1
            while index < end && index - position < maxDigits && classes[index] == ScalarClass.number {
                index += 1
            }
            return index
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var start = position
        if scalar == space && position + 1 < end && classes[position + 1] == ScalarClass.other {
            start = position + 1
        }
        if classes[start] == ScalarClass.other {
            var index = runEnd(classes, ScalarClass.other, from: start, end: end)
            while index < end && (scalars[index] == carriageReturn || scalars[index] == lineFeed) {
                index += 1
            }
            return index
        }
        // \s*[\r\n]+ : the whitespace run up to and including its last line break.
        let runStop = runEnd(classes, ScalarClass.whitespace, from: position, end: end)
        var index = runStop - 1
        while index >= position {
            if scalars[index] == carriageReturn || scalars[index] == lineFeed { return index + 1 }
            index -= 1
        }
        return whitespaceMatchEnd(classes, at: position, end: end)
    }
}
