/// Fills a tensor with one value (lazily: no memory until evaluated).
struct Full: Primitive {
    let value: Double
    var name: String { "full" }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let n = output.count
        switch output.dtype {
        case .float32: out.pointer(Float.self).update(repeating: Float(value), count: n)
        case .float64: out.pointer(Double.self).update(repeating: value, count: n)
        case .float16: out.pointer(Float16.self).update(repeating: Float16(Float(value)), count: n)
        case .bfloat16: out.pointer(BFloat16.self).update(repeating: BFloat16(Float(value)), count: n)
        case .int32: out.pointer(Int32.self).update(repeating: Int32(value), count: n)
        case .uint32: out.pointer(UInt32.self).update(repeating: UInt32(value), count: n)
        case .bool: out.pointer(UInt8.self).update(repeating: value != 0 ? 1 : 0, count: n)
        }
        return out
    }
}

/// `start, start + step, ...` (lazily).
struct Arange: Primitive {
    let start: Double
    let step: Double
    var name: String { "arange" }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let n = output.count
        switch output.dtype {
        case .float32: let p = out.pointer(Float.self); for i in 0..<n { p[i] = Float(start + Double(i) * step) }
        case .float64: let p = out.pointer(Double.self); for i in 0..<n { p[i] = start + Double(i) * step }
        case .int32: let p = out.pointer(Int32.self); for i in 0..<n { p[i] = Int32(start + Double(i) * step) }
        default: fatalError("arange: unsupported dtype \(output.dtype)")
        }
        return out
    }
}

extension Tensor {
    /// A tensor of `shape` filled with `value`.
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32) -> Tensor {
        if let bad = shape.first(where: { $0 < 0 }) {
            return failed(GraftError("full", "negative dimension \(bad) in shape \(shape)"), dtype: dtype)
        }
        return make(Full(value: value), [], shape: shape, dtype: dtype)
    }

    /// Zeros of `shape`.
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor { full(shape, 0, dtype: dtype) }
    /// Ones of `shape`.
    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor { full(shape, 1, dtype: dtype) }
    /// Zeros with this tensor's shape and dtype.
    public func zerosLike() -> Tensor { .zeros(shape, dtype: dtype) }
    /// Ones with this tensor's shape and dtype.
    public func onesLike() -> Tensor { .ones(shape, dtype: dtype) }

    /// Values `start ..< stop` spaced by `step`, as NumPy's arange.
    public static func arange(_ start: Double = 0, _ stop: Double, step: Double = 1,
                              dtype: DType = .int32) -> Tensor {
        guard step != 0, [.float32, .float64, .int32].contains(dtype) else {
            return failed(GraftError("arange", "step \(step) and dtype \(dtype) must be non-zero and float32/float64/int32"))
        }
        let n = Swift.max(0, Int(((stop - start) / step).rounded(.up)))
        return make(Arange(start: start, step: step), [], shape: [n], dtype: dtype)
    }
}
