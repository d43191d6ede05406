import Graft

extension AffineQuantizedMatrix {
    /// The matrix as the engine's `QuantizedWeight` (copies the packed data into tensors).
    public func quantizedWeight() throws -> QuantizedWeight {
        try QuantizedWeight(packed: Tensor(packed, shape: [rows, wordsPerRow]),
                            scales: Tensor(scales, shape: [rows, groupsPerRow]),
                            biases: Tensor(biases, shape: [rows, groupsPerRow]),
                            bits: bits, groupSize: groupSize)
    }
}

extension GGUFTensor {
    /// The tensor dequantized to a float32 `Tensor` of its row-major shape.
    public func tensor() throws -> Tensor {
        Tensor(try floats(), shape: shape)
    }
}
