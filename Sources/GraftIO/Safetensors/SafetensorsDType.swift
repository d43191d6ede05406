/// Element types of safetensors files (the `dtype` strings of the header).
///
/// Cases are declared in the reference library's order of increasing alignment, which its
/// writer uses (descending) to lay tensors out; see ``writeOrder``.
public enum SafetensorsDType: String, Sendable, CaseIterable, Codable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case f8E5M2 = "F8_E5M2"
    case f8E4M3 = "F8_E4M3"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .c64, .f64, .i64, .u64: 8
        }
    }

    /// Position in the reference writer's ordering: tensors with a higher value come first.
    public var writeOrder: Int { Self.allCases.firstIndex(of: self)! }

    /// True when ``SafetensorsFile/floats(_:)`` can convert elements of this type to `Float`.
    public var convertsToFloat: Bool {
        switch self {
        case .f8E5M2, .f8E4M3, .c64: false
        default: true
        }
    }
}
