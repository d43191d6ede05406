/// Element types a tensor can hold.
///
/// Compute happens in `float32` (and `float64` where tests need it); `float16` and `bfloat16`
/// are storage types reached through `astype`; `int32` holds indices; `uint32` holds packed
/// quantized weights; `bool` is what comparisons produce (one byte per element).
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
    case float32, float64, float16, bfloat16, int32, uint32, bool

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64: return 8
        case .float32, .int32, .uint32: return 4
        case .float16, .bfloat16: return 2
        case .bool: return 1
        }
    }

    /// Whether arithmetic kernels (exp, log, ...) exist for this type.
    public var isFloatingCompute: Bool { self == .float32 || self == .float64 }

    /// Whether values are floating point (compute or storage).
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16: return true
        default: return false
        }
    }

    public var description: String { rawValue }
}

/// Brain floating point: the top 16 bits of an IEEE float32.
@frozen public struct BFloat16: Sendable, Equatable {
    public var bits: UInt16
    @inlinable public init(bits: UInt16) { self.bits = bits }

    /// Rounds to nearest even, as PyTorch and MLX do; NaN stays NaN.
    @inlinable public init(_ value: Float) {
        let b = value.bitPattern
        if value.isNaN { bits = UInt16(truncatingIfNeeded: (b >> 16) | 0x40); return }
        let rounding = ((b >> 16) & 1) &+ 0x7FFF
        bits = UInt16(truncatingIfNeeded: (b &+ rounding) >> 16)
    }

    @inlinable public var float: Float { Float(bitPattern: UInt32(bits) << 16) }
}
