/// The GPT-2 byte-to-unicode table used by byte-level BPE vocabularies.
///
/// Every byte value gets one printable Unicode scalar so that token strings never contain
/// raw control characters or spaces: printable non-space bytes (0x21–0x7E, 0xA1–0xAC,
/// 0xAE–0xFF) keep their own code point, and the remaining 68 bytes are given U+0100, U+0101, …
/// in increasing byte order (so a space becomes "Ġ" U+0120 and a newline "Ċ" U+010A).
public enum ByteLevelAlphabet {
    /// The scalar value that stands for each byte, indexed by the byte.
    public static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 0x100
        for byte in 0..<256 {
            if keepsOwnCodePoint(UInt8(byte)) {
                table[byte] = UInt32(byte)
            } else {
                table[byte] = next
                next += 1
            }
        }
        return table
    }()

    /// The inverse table over scalars U+0000…U+0143: the byte a scalar stands for, or -1.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalarForByte.enumerated() {
            table[Int(scalar)] = Int16(byte)
        }
        return table
    }()

    /// Whether `byte` is printable and not a space, and so stands for itself.
    private static func keepsOwnCodePoint(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// Maps raw bytes to their byte-level string (the form vocabulary entries are written in).
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var result = String.UnicodeScalarView()
        for byte in bytes {
            result.append(Unicode.Scalar(scalarForByte[Int(byte)])!)
        }
        return String(result)
    }

    /// Maps a byte-level string back to raw bytes, or returns nil when one of its scalars is
    /// not in the table (such strings are not byte-level tokens, e.g. added tokens).
    public static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteForScalar.count, byteForScalar[value] >= 0 else { return nil }
            bytes.append(UInt8(byteForScalar[value]))
        }
        return bytes
    }
}
