/// Conversions of a GGUF tensor's bytes to floats or MLX affine groups. Errors from the
/// conversion routines are rethrown as `GGUFError`s naming the file and the tensor.
extension GGUFTensor {
    /// The tensor dequantized to floats, row-major (`shape`). Supports the types in
    /// `GGMLDequantizer.supportedTypes`.
    public func floats() throws -> [Float] {
        try wrap("Float") { try GGMLDequantizer.dequantize(data, type: type, elementCount: info.elementCount) }
    }

    /// Row `row` of the tensor viewed as `[info.rows, info.columns]`, dequantized.
    public func floatRow(_ row: Int) throws -> [Float] {
        try wrap("Float") {
            try GGMLDequantizer.dequantizeRow(row, of: data, type: type, rows: info.rows, columns: info.columns)
        }
    }

    /// Q4_0, Q4_1 or Q8_0 converted losslessly to MLX affine groups of 32 (no float round trip),
    /// viewed as `[info.rows, info.columns]`.
    public func affineGroups() throws -> AffineQuantizedMatrix {
        try wrap("affine groups of 32") {
            try GGMLAffineConverter.convert(data, type: type, rows: info.rows, cols: info.columns)
        }
    }

    /// The tensor in MLX affine form. Q4_0, Q4_1 and Q8_0 convert losslessly when `groupSize`
    /// is 32 and `bits` matches (4 for Q4_*, 8 for Q8_0) or is nil; every other case is
    /// dequantized to floats and re-quantized with `AffineQuantizer` (`bits` defaults to 4).
    public func affine(bits: Int? = nil, groupSize: Int = 32) throws -> AffineQuantizedMatrix {
        let nativeBits = type == .q8_0 ? 8 : 4
        if GGMLAffineConverter.supportedTypes.contains(type), groupSize == 32, bits == nil || bits == nativeBits {
            return try affineGroups()
        }
        let values = try floats()
        return try wrap("affine \(bits ?? 4)-bit groups of \(groupSize)") {
            try AffineQuantizer.quantize(values, rows: info.rows, cols: info.columns, bits: bits ?? 4, groupSize: groupSize)
        }
    }

    private func wrap<T>(_ target: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as QuantizationError {
            switch error {
            case .unsupportedType:
                throw GGUFError.unsupportedConversion(path: path, tensor: name, type: type, target: target)
            default:
                throw GGUFError.conversionFailed(path: path, tensor: name, reason: "\(error)")
            }
        }
    }
}
