/// A lexical token of a template.
struct TemplateToken: Sendable {
    enum Kind: Sendable, Equatable {
        case text(String)
        case blockBegin, blockEnd, variableBegin, variableEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case op(String)
        case end
    }

    let kind: Kind
    let location: TemplateSourceLocation
}

/// Splits template source into tokens the way Jinja's lexer does with the options transformers
/// uses: `trim_blocks` and `lstrip_blocks` on, `keep_trailing_newline` off, `-`/`+` whitespace
/// control on every tag kind, comments dropped, `{% raw %}` copied verbatim.
struct TemplateLexer {
    private let source: [Unicode.Scalar]
    private var position = 0
    private var tokens: [TemplateToken] = []
    /// Start offset of each line, to turn offsets into line/column.
    private let lineStarts: [Int]

    init(_ text: String) {
        // Normalise line breaks to "\n" and drop one trailing newline (keep_trailing_newline=False).
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.unicodeScalars.count)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\r" {
                scalars.append("\n")
                previousWasCR = true
                continue
            }
            if scalar == "\n" && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            scalars.append(scalar)
        }
        if scalars.last == "\n" { scalars.removeLast() }
        source = scalars
        var starts = [0]
        for (offset, scalar) in scalars.enumerated() where scalar == "\n" { starts.append(offset + 1) }
        lineStarts = starts
    }

    /// Tokenizes the whole source.
    static func tokenize(_ text: String) throws -> [TemplateToken] {
        var lexer = TemplateLexer(text)
        try lexer.run()
        return lexer.tokens
    }

    func location(of offset: Int) -> TemplateSourceLocation {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return TemplateSourceLocation(line: low + 1, column: offset - lineStarts[low] + 1)
    }

    private func syntaxError(_ message: String, at offset: Int) -> ChatTemplateError {
        .syntax(message: message, location: location(of: offset))
    }

    private func matches(_ literal: String, at offset: Int) -> Bool {
        var index = offset
        for scalar in literal.unicodeScalars {
            guard index < source.count, source[index] == scalar else { return false }
            index += 1
        }
        return true
    }

    private func string(_ range: Range<Int>) -> String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: source[range])
        return String(result)
    }

    private mutating func emit(_ kind: TemplateToken.Kind, at offset: Int) {
        tokens.append(TemplateToken(kind: kind, location: location(of: offset)))
    }

    /// Finds the next `{%`, `{{` or `{#` at or after `offset`.
    private func nextTagStart(from offset: Int) -> Int? {
        var index = offset
        while index + 1 < source.count {
            if source[index] == "{" {
                let next = source[index + 1]
                if next == "%" || next == "{" || next == "#" { return index }
            }
            index += 1
        }
        return nil
    }

    private mutating func run() throws {
        var lineStarting = true
        while position < source.count {
            guard let tagStart = nextTagStart(from: position) else {
                emit(.text(string(position..<source.count)), at: position)
                position = source.count
                break
            }
            let tagKind = source[tagStart + 1]
            var afterOpen = tagStart + 2
            var sign: Unicode.Scalar?
            if afterOpen < source.count, source[afterOpen] == "-" || source[afterOpen] == "+" {
                sign = source[afterOpen]
                afterOpen += 1
            }
            var textEnd = tagStart
            if sign == "-" {
                while textEnd > position, isPythonWhitespace(source[textEnd - 1]) { textEnd -= 1 }
            } else if sign != "+" && tagKind != "{" {
                // lstrip_blocks: drop spaces between the start of the line and a block/comment tag.
                var lineStart = textEnd
                while lineStart > position, source[lineStart - 1] != "\n" { lineStart -= 1 }
                let atLineStart = lineStart > position || (lineStart == position && lineStarting)
                if atLineStart && lineStart < textEnd
                    && source[lineStart..<textEnd].allSatisfy({ isPythonWhitespace($0) })
                {
                    textEnd = lineStart
                }
            }
            if textEnd > position { emit(.text(string(position..<textEnd)), at: position) }
            switch tagKind {
            case "#":
                position = try skipComment(from: afterOpen, openedAt: tagStart)
            case "%":
                if let rawEnd = try rawBlock(openedAt: tagStart, bodyStart: afterOpen) {
                    position = rawEnd
                } else {
                    emit(.blockBegin, at: tagStart)
                    position = try lexInside(from: afterOpen, block: true, openedAt: tagStart)
                }
            default:
                emit(.variableBegin, at: tagStart)
                position = try lexInside(from: afterOpen, block: false, openedAt: tagStart)
            }
            lineStarting = position > 0 && source[position - 1] == "\n"
        }
        emit(.end, at: source.count)
    }

    /// Consumes a tag end at `offset` if there is one: `+%}`, `-%}` plus whitespace, or `%}`
    /// plus one newline (trim_blocks); for variables `-}}` plus whitespace or `}}`.
    private func tagEnd(at offset: Int, closer: String, trimNewline: Bool) -> Int? {
        if matches("+" + closer, at: offset) { return offset + 1 + closer.unicodeScalars.count }
        if matches("-" + closer, at: offset) {
            var index = offset + 1 + closer.unicodeScalars.count
            while index < source.count, isPythonWhitespace(source[index]) { index += 1 }
            return index
        }
        if matches(closer, at: offset) {
            var index = offset + closer.unicodeScalars.count
            if trimNewline, index < source.count, source[index] == "\n" { index += 1 }
            return index
        }
        return nil
    }

    private func skipComment(from offset: Int, openedAt start: Int) throws -> Int {
        var index = offset
        while index < source.count {
            if let end = tagEnd(at: index, closer: "#}", trimNewline: true) { return end }
            index += 1
        }
        throw syntaxError("missing end of comment tag", at: start)
    }

    /// Handles `{% raw %}...{% endraw %}`: returns the offset after the block, or nil if this
    /// tag is not `raw`.
    private mutating func rawBlock(openedAt start: Int, bodyStart: Int) throws -> Int? {
        var index = bodyStart
        while index < source.count, isPythonWhitespace(source[index]) { index += 1 }
        guard matches("raw", at: index) else { return nil }
        index += 3
        while index < source.count, isPythonWhitespace(source[index]) { index += 1 }
        if matches("-%}", at: index) {
            index += 3
            while index < source.count, isPythonWhitespace(source[index]) { index += 1 }
        } else if matches("%}", at: index) {
            index += 2
        } else {
            return nil
        }
        let contentStart = index
        while index < source.count {
            if matches("{%", at: index) {
                var probe = index + 2
                let sign: Unicode.Scalar? = probe < source.count ? source[probe] : nil
                if sign == "-" || sign == "+" { probe += 1 }
                while probe < source.count, isPythonWhitespace(source[probe]) { probe += 1 }
                if matches("endraw", at: probe) {
                    probe += 6
                    while probe < source.count, isPythonWhitespace(source[probe]) { probe += 1 }
                    if let end = tagEnd(at: probe, closer: "%}", trimNewline: true) {
                        var contentEnd = index
                        if sign == "-" {
                            while contentEnd > contentStart, isPythonWhitespace(source[contentEnd - 1]) {
                                contentEnd -= 1
                            }
                        }
                        if contentEnd > contentStart {
                            emit(.text(string(contentStart..<contentEnd)), at: contentStart)
                        }
                        return end
                    }
                }
            }
            index += 1
        }
        throw syntaxError("missing end of raw directive", at: start)
    }

    private static let operators = ["//", "**", "==", "!=", ">=", "<=",
                                    "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}",
                                    ">", "<", "=", ".", ":", "|", ",", ";"]

    /// Lexes the inside of a `{% %}` or `{{ }}` tag; returns the offset after its end.
    private mutating func lexInside(from offset: Int, block: Bool, openedAt start: Int) throws -> Int {
        var index = offset
        var brackets: [Unicode.Scalar] = []
        let closer = block ? "%}" : "}}"
        while true {
            while index < source.count, isPythonWhitespace(source[index]) { index += 1 }
            guard index < source.count else {
                throw syntaxError("unexpected end of template: tag opened here is never closed", at: start)
            }
            if brackets.isEmpty, let end = tagEnd(at: index, closer: closer, trimNewline: block) {
                emit(block ? .blockEnd : .variableEnd, at: index)
                return end
            }
            let scalar = source[index]
            if let (kind, next) = try lexNumber(at: index) {
                emit(kind, at: index)
                index = next
            } else if scalar == "_" || isASCIILetter(scalar) || (scalar.value > 127 && scalar.properties.isAlphabetic) {
                var end = index + 1
                while end < source.count, source[end] == "_" || isASCIILetter(source[end])
                    || isASCIIDigit(source[end]) || (source[end].value > 127 && source[end].properties.isAlphabetic)
                {
                    end += 1
                }
                emit(.name(string(index..<end)), at: index)
                index = end
            } else if scalar == "'" || scalar == "\"" {
                var end = index + 1
                while end < source.count, source[end] != scalar {
                    end += source[end] == "\\" ? 2 : 1
                }
                guard end < source.count else { throw syntaxError("unterminated string literal", at: index) }
                emit(.string(decodeStringEscapes(source[(index + 1)..<end])), at: index)
                index = end + 1
            } else if let op = Self.operators.first(where: { matches($0, at: index) }) {
                switch op {
                case "(": brackets.append(")")
                case "[": brackets.append("]")
                case "{": brackets.append("}")
                case ")", "]", "}":
                    guard let expected = brackets.popLast() else {
                        throw syntaxError("unexpected '\(op)'", at: index)
                    }
                    guard String(expected) == op else {
                        throw syntaxError("unexpected '\(op)', expected '\(expected)'", at: index)
                    }
                default: break
                }
                emit(.op(op), at: index)
                index += op.unicodeScalars.count
            } else {
                throw syntaxError("unexpected character '\(scalar)'", at: index)
            }
        }
    }

    /// Lexes an integer or float literal (digits may be separated by `_`).
    private func lexNumber(at offset: Int) throws -> (TemplateToken.Kind, Int)? {
        guard isASCIIDigit(source[offset]) else { return nil }
        func digits(from start: Int) -> Int {
            var index = start
            while index < source.count,
                  isASCIIDigit(source[index]) || (source[index] == "_" && index + 1 < source.count
                                                  && isASCIIDigit(source[index + 1])) {
                index += 1
            }
            return index
        }
        if source[offset] == "0", offset + 1 < source.count {
            let radixMark = Character(source[offset + 1]).lowercased()
            let radix = radixMark == "x" ? 16 : radixMark == "o" ? 8 : radixMark == "b" ? 2 : 0
            if radix != 0 {
                var end = offset + 2
                while end < source.count, source[end] == "_" || Character(source[end]).isHexDigit { end += 1 }
                let body = string((offset + 2)..<end).replacingOccurrences(of: "_", with: "")
                guard let value = Int(body, radix: radix) else {
                    throw syntaxError("invalid integer literal", at: offset)
                }
                return (.integer(value), end)
            }
        }
        var end = digits(from: offset)
        var isFloat = false
        if end + 1 < source.count, source[end] == ".", isASCIIDigit(source[end + 1]) {
            end = digits(from: end + 1)
            isFloat = true
        }
        if end < source.count, source[end] == "e" || source[end] == "E" {
            var probe = end + 1
            if probe < source.count, source[probe] == "+" || source[probe] == "-" { probe += 1 }
            if probe < source.count, isASCIIDigit(source[probe]) {
                end = digits(from: probe)
                isFloat = true
            }
        }
        let text = string(offset..<end).replacingOccurrences(of: "_", with: "")
        if isFloat {
            guard let value = Double(text) else { throw syntaxError("invalid float literal", at: offset) }
            return (.float(value), end)
        }
        guard let value = Int(text) else { throw syntaxError("integer literal too large", at: offset) }
        return (.integer(value), end)
    }
}
