/// The character classes that byte-level pre-tokenizer patterns distinguish: `\p{L}`,
/// `\p{N}`, `\s` (the Unicode White_Space property, as Oniguruma's `\s` is) and the rest.
enum ScalarClass {
    static let other: UInt8 = 0
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let whitespace: UInt8 = 3

    /// The class of one scalar value.
    @inline(__always)
    static func of(_ value: UInt32) -> UInt8 {
        if value < 128 {
            let folded = value | 0x20
            if folded >= 0x61 && folded <= 0x7A { return letter }  // A-Z, a-z
            if value >= 0x30 && value <= 0x39 { return number }
            if value == 0x20 || (value >= 0x09 && value <= 0x0D) { return whitespace }
            return other
        }
        guard let scalar = Unicode.Scalar(value) else { return other }
        return classify(scalar)
    }

    private static func classify(_ scalar: Unicode.Scalar) -> UInt8 {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return number
        default:
            return properties.isWhitespace ? whitespace : other
        }
    }
}
