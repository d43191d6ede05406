import Graft

extension AffineQuantizedMatrix {
    /// The matrix as the engine's `QuantizedWeight` (copies the packed data into tensors).
    /// Scales and biases are stored as float16 when every one of them is exactly a half (as
    /// GGUF's Q4_0, Q4_1 and Q8_0 factors are): half the bytes for the decode kernels to stream,
    /// the same values. Otherwise they stay float32.
    public func quantizedWeight() throws -> QuantizedWeight {
        let shape = [rows, groupsPerRow]
        let halves = Self.exactHalves(scales).flatMap { s in Self.exactHalves(biases).map { (s, $0) } }
        return try QuantizedWeight(packed: Tensor(packed, shape: [rows, wordsPerRow]),
                                   scales: halves.map { Tensor($0.0, shape: shape) } ?? Tensor(scales, shape: shape),
                                   biases: halves.map { Tensor($0.1, shape: shape) } ?? Tensor(biases, shape: shape),
                                   bits: bits, groupSize: groupSize)
    }

    /// `values` as float16 when each converts back to the same float, else nil.
    static func exactHalves(_ values: [Float]) -> [Float16]? {
        var halves = [Float16](repeating: 0, count: values.count)
        for (i, v) in values.enumerated() {
            let h = Float16(v)
            guard Float(h) == v else { return nil }
            halves[i] = h
        }
        return halves
    }
}

extension GGUFTensor {
    /// The tensor dequantized to a float32 `Tensor` of its row-major shape.
    public func tensor() throws -> Tensor {
        Tensor(try floats(), shape: shape)
    }
}
