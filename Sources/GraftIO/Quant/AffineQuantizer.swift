#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Quantizes floats to MLX's affine format exactly as MLX's CPU `quantize` does (float32 input;
/// docs/formats.md §5.1):
///
/// per group of `groupSize` elements take `min` and `max`; if |min| > |max| the edge is `min` and
/// `scale = max((max − min)/(2^bits − 1), 1e-7)`, else the edge is `max` and the scale is the
/// negative of that. `q0 = rint(edge / scale)`; if q0 ≠ 0 then `scale = edge / q0`, `bias = edge`,
/// otherwise `bias = 0`. Each element is `q = clamp(rint((w − bias) / scale), 0, 2^bits − 1)`
/// (`rint` rounds half to even). Scales may be negative; 0 is exactly representable.
public enum AffineQuantizer {
    /// Quantizes a row-major `[rows, cols]` matrix. `bits` ∈ {2, 4, 8}, `groupSize` ∈ {32, 64, 128},
    /// and `cols` must be a multiple of `groupSize`.
    public static func quantize(_ values: [Float], rows: Int, cols: Int, bits: Int, groupSize: Int) throws -> AffineQuantizedMatrix {
        guard values.count == rows * cols else {
            throw QuantizationError.invalidParameters("\(values.count) values for shape [\(rows), \(cols)]")
        }
        return try values.withUnsafeBufferPointer {
            try quantize($0, rows: rows, cols: cols, bits: bits, groupSize: groupSize)
        }
    }

    /// Quantizes a row-major `[rows, cols]` matrix read from `values` (exactly `rows · cols` floats).
    public static func quantize(_ values: UnsafeBufferPointer<Float>, rows: Int, cols: Int,
                                bits: Int, groupSize: Int) throws -> AffineQuantizedMatrix {
        guard AffineQuantizedMatrix.supportedBits.contains(bits) else {
            throw QuantizationError.invalidParameters("bits \(bits) not in \(AffineQuantizedMatrix.supportedBits.sorted())")
        }
        guard AffineQuantizedMatrix.supportedGroupSizes.contains(groupSize) else {
            throw QuantizationError.invalidParameters(
                "group size \(groupSize) not in \(AffineQuantizedMatrix.supportedGroupSizes.sorted())")
        }
        guard rows >= 0, cols >= 0, cols % groupSize == 0 else {
            throw QuantizationError.invalidParameters("row length \(cols) is not a multiple of the group size \(groupSize)")
        }
        guard values.count == rows * cols else {
            throw QuantizationError.invalidParameters("\(values.count) values for shape [\(rows), \(cols)]")
        }
        let groups = rows * cols / groupSize
        var packed = [UInt32](repeating: 0, count: rows * cols * bits / 32)
        var scales = [Float](repeating: 0, count: groups)
        var biases = [Float](repeating: 0, count: groups)
        if groups > 0 {
            packed.withUnsafeMutableBufferPointer { words in
                scales.withUnsafeMutableBufferPointer { scales in
                    biases.withUnsafeMutableBufferPointer { biases in
                        quantizeGroups(values.baseAddress!, groups: groups, groupSize: groupSize, bits: bits,
                                       words.baseAddress!, scales.baseAddress!, biases.baseAddress!)
                    }
                }
            }
        }
        return try AffineQuantizedMatrix(rows: rows, cols: cols, bits: bits, groupSize: groupSize,
                                         packed: packed, scales: scales, biases: biases)
    }

    /// Quantizes consecutive groups. Because `cols` is a multiple of `groupSize` and of the
    /// values per word, groups never straddle rows and the packed words are contiguous.
    private static func quantizeGroups(_ input: UnsafePointer<Float>, groups: Int, groupSize: Int, bits: Int,
                                       _ words: UnsafeMutablePointer<UInt32>, _ scales: UnsafeMutablePointer<Float>,
                                       _ biases: UnsafeMutablePointer<Float>) {
        let levels = Float((1 << bits) - 1)
        let perWord = 32 / bits
        let wordsPerGroup = groupSize / perWord
        let epsilon: Float = 1e-7
        for g in 0 ..< groups {
            let w = input + g * groupSize
            var low = Float.infinity, high = -Float.infinity
            for j in 0 ..< groupSize {
                // Written like std::max / std::min so that ties and signed zeros match MLX.
                let x = w[j]
                high = high < x ? x : high
                low = x < low ? x : low
            }
            let edgeIsMin = abs(low) > abs(high)
            var scale = Swift.max((high - low) / levels, epsilon)
            if !edgeIsMin { scale = -scale }
            let edge = edgeIsMin ? low : high
            let q0 = rintf(edge / scale)
            var bias: Float = 0
            if q0 != 0 {
                scale = edge / q0
                bias = edge
            }
            scales[g] = scale
            biases[g] = bias
            let out = words + g * wordsPerGroup
            for wi in 0 ..< wordsPerGroup {
                var word: UInt32 = 0
                for k in 0 ..< perWord {
                    var q = rintf((w[wi * perWord + k] - bias) / scale)
                    q = Swift.min(Swift.max(q, 0), levels)
                    word |= UInt32(q) << UInt32(k * bits)
                }
                out[wi] = word
            }
        }
    }
}
