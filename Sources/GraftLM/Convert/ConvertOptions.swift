import GraftIO

/// The options of `graft convert`.
public struct ConvertOptions: Sendable, Equatable {
    /// Output format: an MLX-layout safetensors folder or a GGUF file.
    public var format: FuseFormat = .safetensors
    /// Quantize every matrix to 4 or 8 bits (nil: keep the source's quantization).
    public var quantizeBits: Int?
    /// Values per group with ``quantizeBits`` (32, 64 or 128; GGUF blocks hold 32). Nil: 64 for
    /// safetensors (mlx-lm's default), 32 for GGUF.
    public var groupSize: Int?
    /// Storage of float tensors (and of MLX scales and biases).
    public var dtype: FuseFloatType = .f32
    /// The GGUF 4-bit block type: Q4_1 (scale and offset) or Q4_0 (scale only).
    public var ggufFourBitType: GGMLType = .q4_1
    /// Store every matrix as a float (`--dequantize`).
    public var dequantize = false
    /// Replace an existing output.
    public var force = false

    /// Default options: a safetensors folder keeping the source's quantization, floats as F32.
    public init() {}

    /// The group size used when quantizing.
    public var effectiveGroupSize: Int { groupSize ?? (format == .gguf ? 32 : 64) }

    /// The fuse precision these options ask for (`--dequantize`: every matrix in ``dtype``).
    public var precision: FusePrecision {
        if dequantize { return .float(dtype) }
        if let quantizeBits { return .quantized(bits: quantizeBits, groupSize: effectiveGroupSize) }
        return .keep
    }

    /// The float type named `text` (`f16`, `bf16`, `f32`, any case).
    /// - Throws: ``ConvertError/invalidOption(_:)`` for any other name.
    public static func dtype(parsing text: String) throws -> FuseFloatType {
        guard let value = FuseFloatType(rawValue: text.lowercased()) else {
            throw ConvertError.invalidOption("unknown --dtype '\(text)' (choose f16, bf16 or f32)")
        }
        return value
    }

    /// Checks the option values and their combination.
    /// - Throws: ``ConvertError/invalidOption(_:)`` saying which option is wrong.
    public func validate() throws {
        if dequantize && quantizeBits != nil { throw ConvertError.invalidOption("--dequantize and --quantize exclude each other") }
        if let bits = quantizeBits, !QuantizeOption.supportedBits.contains(bits) {
            throw ConvertError.invalidOption("--quantize \(bits) is not supported (choose 4 or 8)")
        }
        if let groupSize {
            guard quantizeBits != nil else { throw ConvertError.invalidOption("--group-size needs --quantize") }
            guard QuantizeOption.supportedGroupSizes.contains(groupSize) else {
                throw ConvertError.invalidOption("--group-size \(groupSize) is not supported (choose 32, 64 or 128)")
            }
            if format == .gguf && groupSize != 32 {
                throw ConvertError.invalidOption("--group-size \(groupSize) cannot be written as GGUF: its blocks hold 32 values (use 32)")
            }
        }
        guard [.q4_0, .q4_1].contains(ggufFourBitType) else {
            throw ConvertError.invalidOption("the GGUF 4-bit type must be q4_0 or q4_1")
        }
    }
}
