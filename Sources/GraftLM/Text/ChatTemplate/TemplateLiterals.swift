/// Character classes and string-literal decoding shared by the template lexer.

func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
    (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
}

func isASCIIDigit(_ scalar: Unicode.Scalar) -> Bool {
    scalar >= "0" && scalar <= "9"
}

/// Decodes a string literal's body as Python's `unicode-escape` codec does (Jinja's rule):
/// `\n \t \r \\ \' \" \a \b \f \v \xHH \uXXXX \UXXXXXXXX \ooo`; unknown escapes stay as written.
func decodeStringEscapes(_ body: ArraySlice<Unicode.Scalar>) -> String {
    var result = String.UnicodeScalarView()
    var index = body.startIndex
    func hexValue(_ count: Int, from start: Int) -> UInt32? {
        guard start + count <= body.endIndex else { return nil }
        var value: UInt32 = 0
        for scalar in body[start..<(start + count)] {
            guard let digit = Character(scalar).hexDigitValue else { return nil }
            value = value * 16 + UInt32(digit)
        }
        return value
    }
    while index < body.endIndex {
        let scalar = body[index]
        guard scalar == "\\", index + 1 < body.endIndex else {
            result.append(scalar)
            index += 1
            continue
        }
        let code = body[index + 1]
        var consumed = 2
        switch code {
        case "n": result.append("\n")
        case "t": result.append("\t")
        case "r": result.append("\r")
        case "\\": result.append("\\")
        case "'": result.append("'")
        case "\"": result.append("\"")
        case "a": result.append(Unicode.Scalar(7))
        case "b": result.append(Unicode.Scalar(8))
        case "f": result.append(Unicode.Scalar(12))
        case "v": result.append(Unicode.Scalar(11))
        case "\n": break
        case "x", "u", "U":
            let width = code == "x" ? 2 : code == "u" ? 4 : 8
            if let value = hexValue(width, from: index + 2), let decoded = Unicode.Scalar(value) {
                result.append(decoded)
                consumed = 2 + width
            } else {
                result.append("\\")
                consumed = 1
            }
        case "0"..."7":
            var value: UInt32 = 0
            var length = 0
            while length < 3, index + 1 + length < body.endIndex,
                  let digit = Character(body[index + 1 + length]).wholeNumberValue, digit < 8 {
                value = value * 8 + UInt32(digit)
                length += 1
            }
            result.append(Unicode.Scalar(value)!)
            consumed = 1 + length
        default:
            result.append("\\")
            consumed = 1
        }
        index += consumed
    }
    return String(result)
}
