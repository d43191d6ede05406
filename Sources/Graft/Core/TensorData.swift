/// Host values that can move in and out of tensors.
public protocol TensorElement: Sendable {
    /// The dtype that stores this Swift type.
    static var dtype: DType { get }
    init(fromDouble: Double)
    var asDouble: Double { get }
}

extension Float: TensorElement {
    public static var dtype: DType { .float32 }
    public init(fromDouble d: Double) { self = Float(d) }
    public var asDouble: Double { Double(self) }
}
extension Double: TensorElement {
    public static var dtype: DType { .float64 }
    public init(fromDouble d: Double) { self = d }
    public var asDouble: Double { self }
}
extension Int32: TensorElement {
    public static var dtype: DType { .int32 }
    public init(fromDouble d: Double) { self = Int32(d) }
    public var asDouble: Double { Double(self) }
}
extension UInt32: TensorElement {
    public static var dtype: DType { .uint32 }
    public init(fromDouble d: Double) { self = UInt32(d) }
    public var asDouble: Double { Double(self) }
}
extension Float16: TensorElement {
    public static var dtype: DType { .float16 }
    public init(fromDouble d: Double) { self = Float16(Float(d)) }
    public var asDouble: Double { Double(Float(self)) }
}
extension Bool: TensorElement {
    public static var dtype: DType { .bool }
    public init(fromDouble d: Double) { self = d != 0 }
    public var asDouble: Double { self ? 1 : 0 }
}

extension Tensor {
    /// A tensor holding `values` with `shape` (default: one axis). Copies the values.
    public init<T: TensorElement>(_ values: [T], shape: [Int]? = nil) {
        let shape = shape ?? [values.count]
        precondition(Shapes.count(shape) == values.count,
                     "Tensor(_:shape:): \(values.count) values do not fill shape \(shape)")
        let buffer = Buffer(byteCount: values.count * T.dtype.size)
        values.withUnsafeBytes { buffer.data.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        self.init(node: Node(shape: shape, dtype: T.dtype, primitive: nil, inputs: [], buffer: buffer))
    }

    /// A scalar (0-d) tensor.
    public init<T: TensorElement>(_ value: T) { self.init([value], shape: []) }

    /// A leaf over an existing buffer (for loaders that fill memory themselves).
    public init(buffer: Buffer, shape: [Int], dtype: DType) {
        precondition(buffer.byteCount >= Shapes.count(shape) * dtype.size,
                     "Tensor(buffer:): \(buffer.byteCount) bytes cannot hold \(shape) \(dtype)")
        self.init(node: Node(shape: shape, dtype: dtype, primitive: nil, inputs: [], buffer: buffer))
    }

    /// The single value of a one-element tensor, converted to `T`. Evaluates.
    public func item<T: TensorElement>(_: T.Type = Float.self) -> T {
        precondition(size == 1, "item: tensor of shape \(shape) has \(size) elements, not 1")
        return toArray(as: T.self)[0]
    }

    /// All values in row-major order, converted to `T`. Evaluates.
    public func toArray<T: TensorElement>(as: T.Type = Float.self) -> [T] {
        eval(self)
        let n = size
        if dtype == T.dtype {
            return [T](unsafeUninitializedCapacity: n) { out, count in
                out.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: n * dtype.size) {
                    $0.update(from: node.buffer!.data.assumingMemoryBound(to: UInt8.self), count: n * dtype.size)
                }
                count = n
            }
        }
        let src = node.buffer!.data
        return (0..<n).map { T(fromDouble: Self.readDouble(src, dtype, $0)) }
    }

    static func readDouble(_ p: UnsafeMutableRawPointer, _ dtype: DType, _ i: Int) -> Double {
        switch dtype {
        case .float32: return Double(p.assumingMemoryBound(to: Float.self)[i])
        case .float64: return p.assumingMemoryBound(to: Double.self)[i]
        case .float16: return Double(Float(p.assumingMemoryBound(to: Float16.self)[i]))
        case .bfloat16: return Double(p.assumingMemoryBound(to: BFloat16.self)[i].float)
        case .int32: return Double(p.assumingMemoryBound(to: Int32.self)[i])
        case .uint32: return Double(p.assumingMemoryBound(to: UInt32.self)[i])
        case .bool: return p.assumingMemoryBound(to: UInt8.self)[i] != 0 ? 1 : 0
        }
    }
}
