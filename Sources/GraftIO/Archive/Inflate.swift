import Foundation

/// A failure while reading a zip archive or inflating one of its entries; names the archive.
public struct ArchiveError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The archive (or stream) at fault.
    public let path: String
    /// What is wrong with it.
    public let problem: String

    /// An error about `path`.
    public init(path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

/// A raw DEFLATE (RFC 1951) decoder: stored, fixed-Huffman and dynamic-Huffman blocks.
public enum Inflate {
    /// Decompresses the raw DEFLATE stream `input`, which must produce exactly `uncompressedSize`
    /// bytes. `name` is used in error messages.
    /// - Throws: ``ArchiveError`` when the stream is malformed, truncated, or of another size.
    public static func decompress(_ input: UnsafeRawBufferPointer, uncompressedSize: Int, name: String) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: uncompressedSize) { output, initialized in
            var decoder = InflateDecoder(input: input, output: output)
            do {
                try decoder.run()
            } catch let problem as InflateProblem {
                initialized = 0
                throw ArchiveError(path: name, "corrupt compressed data: \(problem.text)")
            }
            initialized = decoder.written
            guard decoder.written == uncompressedSize else {
                initialized = 0
                throw ArchiveError(path: name, "inflated to \(decoder.written) bytes, expected \(uncompressedSize)")
            }
        }
    }
}

struct InflateProblem: Error { let text: String }

/// Canonical Huffman code: a 10-bit lookup for short codes, code-length counts for the rest.
struct HuffmanCode {
    static let fastBits = 10
    /// Per code length 0...15, how many symbols use it.
    var counts = [Int](repeating: 0, count: 16)
    /// Symbols sorted by (length, symbol value).
    var symbols: [Int]
    /// Indexed by the next `fastBits` stream bits: `symbol << 4 | length`, or -1 for longer codes.
    var fast = [Int32](repeating: -1, count: 1 << fastBits)

    init(lengths: ArraySlice<Int>) throws {
        for length in lengths { counts[length] += 1 }
        counts[0] = 0
        var left = 1
        for length in 1...15 {
            left = left * 2 - counts[length]
            if left < 0 { throw InflateProblem(text: "over-subscribed Huffman code") }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
        symbols = [Int](repeating: 0, count: lengths.count)
        for (symbol, length) in zip(0..., lengths) where length != 0 {
            symbols[offsets[length]] = symbol
            offsets[length] += 1
        }
        // Canonical codes of length ≤ fastBits, bit-reversed because DEFLATE sends codes MSB first.
        var code = 0, index = 0
        for length in 1...Self.fastBits {
            for _ in 0..<counts[length] {
                var reversed = 0
                for bit in 0..<length where code & (1 << bit) != 0 { reversed |= 1 << (length - 1 - bit) }
                var slot = reversed
                while slot < fast.count {
                    fast[slot] = Int32(symbols[index] << 4 | length)
                    slot += 1 << length
                }
                code += 1
                index += 1
            }
            code <<= 1
        }
    }
}

/// The decoder's state: bit reader over `input`, writer into `output`.
struct InflateDecoder {
    let input: UnsafeRawBufferPointer
    let output: UnsafeMutableBufferPointer<UInt8>
    var position = 0
    var bitBuffer: UInt64 = 0
    var bitCount = 0
    /// Zero bits appended past the end of the input (an error if any is consumed).
    var padding = 0
    var written = 0

    init(input: UnsafeRawBufferPointer, output: UnsafeMutableBufferPointer<UInt8>) {
        self.input = input
        self.output = output
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
                               3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    mutating func refill() {
        while bitCount <= 56 {
            if position < input.count {
                bitBuffer |= UInt64(input[position]) << UInt64(bitCount)
                position += 1
            } else {
                padding += 8
            }
            bitCount += 8
        }
    }

    mutating func bits(_ count: Int) throws -> Int {
        if bitCount < count { refill() }
        let value = Int(bitBuffer & ((1 << UInt64(count)) - 1))
        bitBuffer >>= UInt64(count)
        bitCount -= count
        if padding > bitCount { throw InflateProblem(text: "the stream ends early") }
        return value
    }

    mutating func decode(_ code: HuffmanCode) throws -> Int {
        if bitCount < 16 { refill() }
        let entry = code.fast[Int(bitBuffer & UInt64(code.fast.count - 1))]
        if entry >= 0 {
            _ = try bits(Int(entry & 15))
            return Int(entry >> 4)
        }
        // Longer code: walk the lengths one bit at a time (canonical decoding).
        var value = 0, first = 0, index = 0
        for length in 1...15 {
            value |= try bits(1)
            let count = code.counts[length]
            if value - first < count { return code.symbols[index + value - first] }
            index += count
            first = (first + count) << 1
            value <<= 1
        }
        throw InflateProblem(text: "invalid Huffman code")
    }

    mutating func run() throws {
        var last = 0
        repeat {
            last = try bits(1)
            switch try bits(2) {
            case 0: try storedBlock()
            case 1: try huffmanBlock(try Self.fixedCodes())
            case 2: try huffmanBlock(try dynamicCodes())
            default: throw InflateProblem(text: "invalid block type 3")
            }
        } while last == 0
    }

    mutating func storedBlock() throws {
        _ = try bits(bitCount % 8)
        let length = try bits(16), complement = try bits(16)
        guard length == ~complement & 0xffff else { throw InflateProblem(text: "stored block length check failed") }
        guard written + length <= output.count else { throw InflateProblem(text: "more data than the declared size") }
        var remaining = length
        while remaining > 0 && bitCount >= 8 {
            output[written] = UInt8(try bits(8))
            written += 1
            remaining -= 1
        }
        guard position + remaining <= input.count else { throw InflateProblem(text: "the stream ends early") }
        if remaining > 0 {
            UnsafeMutableRawPointer(output.baseAddress! + written)
                .copyMemory(from: input.baseAddress! + position, byteCount: remaining)
        }
        position += remaining
        written += remaining
    }

    static func fixedCodes() throws -> (HuffmanCode, HuffmanCode) {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        return (try HuffmanCode(lengths: lengths[...]), try HuffmanCode(lengths: [Int](repeating: 5, count: 30)[...]))
    }

    mutating func dynamicCodes() throws -> (HuffmanCode, HuffmanCode) {
        let literalCount = try bits(5) + 257, distanceCount = try bits(5) + 1, codeLengthCount = try bits(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw InflateProblem(text: "too many length or distance codes") }
        var codeLengthLengths = [Int](repeating: 0, count: 19)
        for i in 0..<codeLengthCount { codeLengthLengths[Self.codeLengthOrder[i]] = try bits(3) }
        let codeLengthCode = try HuffmanCode(lengths: codeLengthLengths[...])
        var lengths = [Int](repeating: 0, count: literalCount + distanceCount)
        var index = 0
        while index < lengths.count {
            let symbol = try decode(codeLengthCode)
            if symbol < 16 {
                lengths[index] = symbol
                index += 1
                continue
            }
            var repeated = 0, times: Int
            switch symbol {
            case 16:
                guard index > 0 else { throw InflateProblem(text: "repeat with no previous length") }
                repeated = lengths[index - 1]
                times = 3 + (try bits(2))
            case 17: times = 3 + (try bits(3))
            default: times = 11 + (try bits(7))
            }
            guard index + times <= lengths.count else { throw InflateProblem(text: "too many code lengths") }
            for _ in 0..<times {
                lengths[index] = repeated
                index += 1
            }
        }
        guard lengths[256] != 0 else { throw InflateProblem(text: "no end-of-block code") }
        return (try HuffmanCode(lengths: lengths[0..<literalCount]), try HuffmanCode(lengths: lengths[literalCount...]))
    }

    mutating func huffmanBlock(_ codes: (literals: HuffmanCode, distances: HuffmanCode)) throws {
        while true {
            let symbol = try decode(codes.literals)
            if symbol < 256 {
                guard written < output.count else { throw InflateProblem(text: "more data than the declared size") }
                output[written] = UInt8(symbol)
                written += 1
                continue
            }
            if symbol == 256 { return }
            let lengthIndex = symbol - 257
            guard lengthIndex < 29 else { throw InflateProblem(text: "invalid length symbol \(symbol)") }
            let length = Self.lengthBase[lengthIndex] + (try bits(Self.lengthExtra[lengthIndex]))
            let distanceIndex = try decode(codes.distances)
            guard distanceIndex < 30 else { throw InflateProblem(text: "invalid distance symbol \(distanceIndex)") }
            let distance = Self.distanceBase[distanceIndex] + (try bits(Self.distanceExtra[distanceIndex]))
            guard distance <= written else { throw InflateProblem(text: "distance \(distance) reaches before the start") }
            guard written + length <= output.count else { throw InflateProblem(text: "more data than the declared size") }
            for i in 0..<length { output[written + i] = output[written - distance + i] }
            written += length
        }
    }
}
