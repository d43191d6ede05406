import Foundation

/// Python's `str.isspace()` for one code point (what `strip()`, `split()` and `trim` use).
func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
        return true
    default:
        return false
    }
}

/// Python `str.strip/lstrip/rstrip`, on code points; `characters` nil means whitespace.
func pythonStrip(_ text: String, characters: String?, leading: Bool, trailing: Bool) -> String {
    let scalars = Array(text.unicodeScalars)
    let set = characters.map { Set($0.unicodeScalars) }
    func strippable(_ scalar: Unicode.Scalar) -> Bool {
        if let set { return set.contains(scalar) }
        return isPythonWhitespace(scalar)
    }
    var start = 0
    var end = scalars.count
    if leading { while start < end, strippable(scalars[start]) { start += 1 } }
    if trailing { while end > start, strippable(scalars[end - 1]) { end -= 1 } }
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars[start..<end])
    return String(view)
}

/// Python `str.split(sep, maxsplit)`; `separator` nil splits on runs of whitespace.
func pythonSplit(_ text: String, separator: String?, maxSplit: Int) throws -> [String] {
    if let separator {
        guard !separator.isEmpty else { throw templateRuntimeError("empty separator") }
        var parts: [String] = []
        var remainder = Substring(text)
        while maxSplit < 0 || parts.count < maxSplit, let range = remainder.range(of: separator, options: .literal) {
            parts.append(String(remainder[..<range.lowerBound]))
            remainder = remainder[range.upperBound...]
        }
        parts.append(String(remainder))
        return parts
    }
    var parts: [String] = []
    let scalars = Array(text.unicodeScalars)
    var index = 0
    while index < scalars.count {
        while index < scalars.count, isPythonWhitespace(scalars[index]) { index += 1 }
        guard index < scalars.count else { break }
        if maxSplit >= 0 && parts.count == maxSplit {
            var end = scalars.count
            while end > index, isPythonWhitespace(scalars[end - 1]) { end -= 1 }
            parts.append(String(String.UnicodeScalarView(scalars[index..<end])))
            break
        }
        let start = index
        while index < scalars.count, !isPythonWhitespace(scalars[index]) { index += 1 }
        parts.append(String(String.UnicodeScalarView(scalars[start..<index])))
    }
    return parts
}

/// Python `str.capitalize()`: first character upper-cased, the rest lower-cased.
func pythonCapitalize(_ text: String) -> String {
    guard let first = text.first else { return text }
    return String(first).uppercased() + text.dropFirst().lowercased()
}

/// Python `str.title()`: a letter after a non-letter is upper-cased, other letters lower-cased.
func pythonTitle(_ text: String) -> String {
    var result = ""
    var previousIsLetter = false
    for character in text {
        let isLetter = character.isLetter
        result += isLetter ? (previousIsLetter ? character.lowercased() : character.uppercased()) : String(character)
        previousIsLetter = isLetter
    }
    return result
}

/// Jinja's `title` filter: words start after runs of `-`, whitespace, `(`, `{`, `[` or `<`.
func jinjaTitle(_ text: String) -> String {
    var result = ""
    var atWordStart = true
    for character in text {
        let isSeparator = character == "-" || character == "(" || character == "{" || character == "["
            || character == "<" || character.unicodeScalars.allSatisfy(isPythonWhitespace)
        if isSeparator {
            result.append(character)
            atWordStart = true
        } else {
            result += atWordStart ? character.uppercased() : character.lowercased()
            atWordStart = false
        }
    }
    return result
}

/// Python `repr(float)`: shortest round-trip digits, exponent form below 1e-4 or from 1e16.
func pythonFloatRepr(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
    // Swift's description gives the shortest round-trip digits; re-layout them Python's way.
    let description = "\(value)"
    var mantissa = description
    var exponent = 0
    if let eIndex = description.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = String(description[..<eIndex])
        exponent = Int(description[description.index(after: eIndex)...])!
    }
    let negative = mantissa.hasPrefix("-")
    if negative { mantissa.removeFirst() }
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    let integerPart = String(parts[0])
    let fractionPart = parts.count > 1 ? String(parts[1]) : ""
    var digits = integerPart + fractionPart
    var pointPosition = integerPart.count + exponent  // digits before the decimal point
    let leadingZeros = digits.prefix { $0 == "0" }.count
    digits.removeFirst(leadingZeros)
    pointPosition -= leadingZeros
    while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
    let decimalExponent = pointPosition - 1
    var body: String
    if decimalExponent < -4 || decimalExponent >= 16 {
        body = String(digits.first!)
        if digits.count > 1 { body += "." + digits.dropFirst() }
        body += "e" + (decimalExponent < 0 ? "-" : "+")
        let magnitude = abs(decimalExponent)
        body += magnitude < 10 ? "0\(magnitude)" : "\(magnitude)"
    } else if pointPosition <= 0 {
        body = "0." + String(repeating: "0", count: -pointPosition) + digits
    } else if pointPosition >= digits.count {
        body = digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
    } else {
        let split = digits.index(digits.startIndex, offsetBy: pointPosition)
        body = digits[..<split] + "." + digits[split...]
    }
    return negative ? "-" + body : body
}

/// Python `repr(str)`: single quotes unless the text contains `'` and no `"`.
func pythonStringRepr(_ text: String) -> String {
    let useDouble = text.contains("'") && !text.contains("\"")
    let quote: Character = useDouble ? "\"" : "'"
    var result = String(quote)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case "'" where !useDouble: result += "\\'"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F || (scalar.value >= 0x80 && scalar.value < 0xA0) {
                result += String(format: "\\x%02x", scalar.value)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    result.append(quote)
    return result
}
