/// A row-major `[rows, cols]` matrix in MLX's affine quantized format.
///
/// Each row is cut into groups of `groupSize` consecutive elements; element k of a group is
/// `w = scale · q + bias`, with q an unsigned `bits`-bit integer. Packing follows MLX for
/// bits 2, 4 and 8: each row is `cols · bits / 32` little-endian `UInt32` words, and element k of
/// a row sits in word `k / (32/bits)` at bit offset `(k % (32/bits)) · bits`, lowest bits first.
/// `scales` and `biases` hold `rows · cols / groupSize` values, row-major `[rows, cols/groupSize]`.
public struct AffineQuantizedMatrix: Sendable, Equatable {
    /// Number of rows (output features for a Linear weight).
    public let rows: Int
    /// Number of columns (input features); a multiple of `groupSize`.
    public let cols: Int
    /// Bits per quantized value: 2, 4 or 8.
    public let bits: Int
    /// Elements per group sharing one scale and bias: 32, 64 or 128.
    public let groupSize: Int
    /// Packed values, `rows · wordsPerRow` words.
    public let packed: [UInt32]
    /// One scale per group.
    public let scales: [Float]
    /// One bias per group.
    public let biases: [Float]

    /// Bit widths this type can pack.
    public static let supportedBits: Set<Int> = [2, 4, 8]
    /// Group sizes MLX accepts.
    public static let supportedGroupSizes: Set<Int> = [32, 64, 128]

    /// Creates a matrix after checking every size; throws `QuantizationError.invalidParameters`.
    public init(rows: Int, cols: Int, bits: Int, groupSize: Int,
                packed: [UInt32], scales: [Float], biases: [Float]) throws {
        guard Self.supportedBits.contains(bits) else {
            throw QuantizationError.invalidParameters("bits \(bits) not in \(Self.supportedBits.sorted())")
        }
        guard Self.supportedGroupSizes.contains(groupSize) else {
            throw QuantizationError.invalidParameters("group size \(groupSize) not in \(Self.supportedGroupSizes.sorted())")
        }
        guard rows >= 0, cols >= 0, cols % groupSize == 0 else {
            throw QuantizationError.invalidParameters("shape [\(rows), \(cols)]: columns must be a multiple of \(groupSize)")
        }
        let groups = rows * cols / groupSize
        guard packed.count == rows * cols * bits / 32, scales.count == groups, biases.count == groups else {
            throw QuantizationError.invalidParameters(
                "[\(rows), \(cols)] at \(bits) bits, group \(groupSize) needs \(rows * cols * bits / 32) words and "
                    + "\(groups) scales/biases; got \(packed.count), \(scales.count), \(biases.count)")
        }
        self.rows = rows
        self.cols = cols
        self.bits = bits
        self.groupSize = groupSize
        self.packed = packed
        self.scales = scales
        self.biases = biases
    }

    /// Number of `UInt32` words per row.
    public var wordsPerRow: Int { cols * bits / 32 }
    /// Number of groups per row.
    public var groupsPerRow: Int { cols / groupSize }

    /// The unsigned quantized value of element (`row`, `column`).
    public func quantizedValue(row: Int, column: Int) -> UInt32 {
        let perWord = 32 / bits
        let word = packed[row * wordsPerRow + column / perWord]
        return (word >> UInt32((column % perWord) * bits)) & UInt32((1 << bits) - 1)
    }

    /// Writes row `row` dequantized (`scale · q + bias`) into `output[0 ..< cols]`.
    public func dequantizeRow(_ row: Int, into output: UnsafeMutablePointer<Float>) {
        precondition((0 ..< rows).contains(row), "row \(row) out of range 0..<\(rows)")
        let perWord = 32 / bits
        let mask = UInt32((1 << bits) - 1)
        let shift = UInt32(bits)
        let wordsPerGroup = groupSize / perWord
        packed.withUnsafeBufferPointer { words in
            scales.withUnsafeBufferPointer { scales in
                biases.withUnsafeBufferPointer { biases in
                    let rowWords = words.baseAddress! + row * wordsPerRow
                    for g in 0 ..< groupsPerRow {
                        let scale = scales[row * groupsPerRow + g]
                        let bias = biases[row * groupsPerRow + g]
                        let out = output + g * groupSize
                        for w in 0 ..< wordsPerGroup {
                            var word = rowWords[g * wordsPerGroup + w]
                            for k in 0 ..< perWord {
                                out[w * perWord + k] = scale * Float(word & mask) + bias
                                word >>= shift
                            }
                        }
                    }
                }
            }
        }
    }

    /// Row `row` dequantized.
    public func dequantizeRow(_ row: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: cols) { buffer, initialized in
            if cols > 0 { dequantizeRow(row, into: buffer.baseAddress!) }
            initialized = cols
        }
    }

    /// The whole matrix dequantized, row-major.
    public func dequantize() -> [Float] {
        let count = rows * cols
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 {
                for r in 0 ..< rows { dequantizeRow(r, into: buffer.baseAddress! + r * cols) }
            }
            initialized = count
        }
    }
}
