/// A weight matrix `W [rows, cols]` stored as affine groups along each row:
/// `w = scale · q + bias` with `q` unsigned `bits`-bit integers, one scale and bias per
/// `groupSize` consecutive values. Packing is MLX's: each uint32 word holds `32 / bits` values,
/// lowest bits first. GGUF's Q4_0, Q4_1 and Q8_0 blocks convert to this without loss.
public struct QuantizedWeight {
    /// Packed values, `uint32 [rows, cols · bits / 32]`.
    public let packed: Tensor
    /// Per-group scales, `[rows, cols / groupSize]`, float32 or float16 (as the biases).
    public let scales: Tensor
    /// Per-group offsets, `[rows, cols / groupSize]`, float32 or float16 (as the scales).
    public let biases: Tensor
    public let bits: Int
    public let groupSize: Int
    /// Logical shape `[rows, cols]`.
    public let rows: Int
    public let cols: Int

    /// Wraps packed data; validates the shapes and parameters.
    public init(packed: Tensor, scales: Tensor, biases: Tensor, bits: Int, groupSize: Int) throws {
        guard bits == 4 || bits == 8, [32, 64, 128].contains(groupSize) else {
            throw GraftError("QuantizedWeight", "bits \(bits) / group size \(groupSize) unsupported (4 or 8 bits; groups of 32, 64 or 128)")
        }
        guard packed.ndim == 2, packed.dtype == .uint32, scales.dtype == .float32 || scales.dtype == .float16,
              biases.dtype == scales.dtype else {
            throw GraftError("QuantizedWeight", "packed \(packed.shape) \(packed.dtype), scales \(scales.dtype), biases \(biases.dtype): need uint32 [rows, words] and float32 or float16 scales and biases (the same for both)")
        }
        let rows = packed.shape[0], cols = packed.shape[1] * 32 / bits
        guard cols % groupSize == 0, scales.shape == [rows, cols / groupSize], biases.shape == scales.shape else {
            throw GraftError("QuantizedWeight", "packed \(packed.shape) (\(rows)×\(cols) at \(bits) bits) needs scales and biases of shape [\(rows), \(cols / groupSize)], got \(scales.shape) and \(biases.shape)")
        }
        self.packed = packed
        self.scales = scales
        self.biases = biases
        self.bits = bits
        self.groupSize = groupSize
        self.rows = rows
        self.cols = cols
    }

    /// Storage in bytes (packed values, scales and biases).
    public var byteCount: Int { packed.size * 4 + (scales.size + biases.size) * scales.dtype.size }

    /// The float32 matrix (for tests, fusing and export; kernels never need it).
    public func dequantized() -> Tensor {
        Tensor.make(QuantizedGather(bits: bits, groupSize: groupSize, cols: cols),
                    [packed, scales, biases, Tensor.arange(0, Double(rows))], shape: [rows, cols], dtype: .float32)
    }

    /// Rows `indices` dequantized: `indices.shape + [cols]` (a quantized embedding lookup).
    public func take(_ indices: Tensor) -> Tensor {
        guard indices.dtype == .int32 else {
            return Tensor.failed(GraftError("quantizedTake", "indices must be int32, got \(indices.dtype)"))
        }
        return Tensor.make(QuantizedGather(bits: bits, groupSize: groupSize, cols: cols),
                           [packed, scales, biases, indices.reshaped([indices.size])],
                           shape: indices.shape + [cols], dtype: .float32)
    }
}

/// Dequantizes one packed row into `out` (`cols` floats).
@inline(__always)
func dequantizeRow<S: QuantizationScale>(_ words: UnsafePointer<UInt32>, _ scales: UnsafePointer<S>, _ biases: UnsafePointer<S>,
                   bits: Int, groupSize: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
    let perWord = 32 / bits, mask: UInt32 = bits == 4 ? 0xF : 0xFF
    let wordsPerGroup = groupSize / perWord
    for g in 0..<(cols / groupSize) {
        let s = scales[g].float, b = biases[g].float
        let w = words + g * wordsPerGroup, o = out + g * groupSize
        if bits == 4 {
            for i in 0..<wordsPerGroup {
                let word = w[i]
                for j in 0..<8 { o[i * 8 + j] = s * Float((word >> UInt32(4 * j)) & mask) + b }
            }
        } else {
            for i in 0..<wordsPerGroup {
                let word = w[i]
                for j in 0..<4 { o[i * 4 + j] = s * Float((word >> UInt32(8 * j)) & mask) + b }
            }
        }
    }
}

/// Dequantized rows gathered by index (embedding lookup, and the full matrix with 0..<rows).
struct QuantizedGather: Primitive {
    let bits: Int
    let groupSize: Int
    let cols: Int
    var name: String { "quantizedTake" }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let rows = inputs[0].shape[0], wordsPerRow = inputs[0].shape[1], groups = cols / groupSize
        let ids = SendPtr(Take.checkIndices(inputs[3], limit: rows, op: name, shape: [rows, cols]))
        let w = SendPtr(inputs[0].pointer(UInt32.self)), o = SendPtr(out.pointer(Float.self))
        let (bits, groupSize, cols) = (self.bits, self.groupSize, self.cols)
        func gather<S: QuantizationScale>(_: S.Type) {
            let s = SendPtr(inputs[1].pointer(S.self)), b = SendPtr(inputs[2].pointer(S.self))
            Parallel.forEach(inputs[3].count, costPerItem: cols * 2) { r in
                for k in r {
                    var row = Int(ids[k])
                    if row < 0 { row += rows }
                    dequantizeRow(w.p + row * wordsPerRow, s.p + row * groups, b.p + row * groups,
                                  bits: bits, groupSize: groupSize, cols: cols, into: o.p + k * cols)
                }
            }
        }
        if inputs[1].dtype == .float16 { gather(Float16.self) } else { gather(Float.self) }
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor, needs: [Bool]) -> [Tensor?] {
        [nil, nil, nil, nil]  // frozen packed weights: no gradient
    }
}
