import GraftIO

/// A float storage type for written weights: `graft fuse --dtype` (float matrices) and `graft
/// convert --dtype` (float tensors, and the scales and biases of MLX-packed ones).
public enum FuseFloatType: String, Sendable, CaseIterable {
    /// IEEE single precision.
    case f32
    /// IEEE half precision.
    case f16
    /// bfloat16 (the top half of a float32).
    case bf16

    /// `value` as this type stores it (round to nearest even), back in float32.
    @inline(__always)
    public func rounded(_ value: Float) -> Float {
        switch self {
        case .f32: return value
        case .f16: return HalfPrecision.floatFromHalfBits(HalfPrecision.halfBits(from: value))
        case .bf16: return HalfPrecision.floatFromBFloat16Bits(HalfPrecision.bfloat16Bits(from: value))
        }
    }

    /// transformers' name for the type (`torch_dtype` in config.json).
    public var torchName: String {
        switch self {
        case .f32: return "float32"
        case .f16: return "float16"
        case .bf16: return "bfloat16"
        }
    }

    /// The safetensors element type.
    public var safetensors: SafetensorsDType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        }
    }

    /// The ggml tensor type.
    public var ggml: GGMLType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        }
    }
}
