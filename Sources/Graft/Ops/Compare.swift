/// Elementwise comparisons producing `bool` tensors, and `where` selecting by such a mask.
enum CompareKind: String {
    case equal, notEqual, less, lessEqual, greater, greaterEqual
}

struct Compare: Primitive {
    let kind: CompareKind
    var name: String { kind.rawValue }

    static func run<T: Comparable>(_ kind: CompareKind, _ l: BroadcastLayout, _ a: UnsafeMutablePointer<T>,
                                   _ b: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<UInt8>) {
        let sa = l.strides[0].last!, sb = l.strides[1].last!
        let a = SendPtr(a), b = SendPtr(b), y = SendPtr(y)
        @inline(__always) func go(_ f: (T, T) -> Bool) {
            l.forEachRun(cost: 2) { o, ia, ib, _, n in
                for i in 0..<n { y[o + i] = f(a[ia + i * sa], b[ib + i * sb]) ? 1 : 0 }
            }
        }
        switch kind {
        case .equal: go(==)
        case .notEqual: go(!=)
        case .less: go(<)
        case .lessEqual: go(<=)
        case .greater: go(>)
        case .greaterEqual: go(>=)
        }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let l = BroadcastLayout(output: output.shape, operands: [inputs[0].shape, inputs[1].shape])
        let y = out.pointer(UInt8.self)
        switch inputs[0].dtype {
        case .float32: Compare.run(kind, l, inputs[0].pointer(Float.self), inputs[1].pointer(Float.self), y)
        case .float64: Compare.run(kind, l, inputs[0].pointer(Double.self), inputs[1].pointer(Double.self), y)
        case .int32: Compare.run(kind, l, inputs[0].pointer(Int32.self), inputs[1].pointer(Int32.self), y)
        case .uint32: Compare.run(kind, l, inputs[0].pointer(UInt32.self), inputs[1].pointer(UInt32.self), y)
        case .bool: Compare.run(kind, l, inputs[0].pointer(UInt8.self), inputs[1].pointer(UInt8.self), y)
        default: fatalError("\(name): no kernel for \(inputs[0].dtype)")
        }
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor, needs: [Bool]) -> [Tensor?] {
        [nil, nil]  // piecewise constant: zero gradient
    }
}

/// `cond ? a : b` elementwise, all three broadcast together.
struct Where: Primitive {
    var name: String { "where" }

    static func run<T>(_ l: BroadcastLayout, _ c: UnsafeMutablePointer<UInt8>, _ a: UnsafeMutablePointer<T>,
                       _ b: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>) {
        let sc = l.strides[0].last!, sa = l.strides[1].last!, sb = l.strides[2].last!
        let c = SendPtr(c), a = SendPtr(a), b = SendPtr(b), y = SendPtr(y)
        l.forEachRun(cost: 2) { o, ic, ia, ib, n in
            for i in 0..<n { y[o + i] = c[ic + i * sc] != 0 ? a[ia + i * sa] : b[ib + i * sb] }
        }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let l = BroadcastLayout(output: output.shape, operands: inputs.map(\.shape))
        let c = inputs[0].pointer(UInt8.self)
        switch output.dtype.size {
        case 8: Where.run(l, c, inputs[1].pointer(UInt64.self), inputs[2].pointer(UInt64.self), out.pointer(UInt64.self))
        case 4: Where.run(l, c, inputs[1].pointer(UInt32.self), inputs[2].pointer(UInt32.self), out.pointer(UInt32.self))
        case 2: Where.run(l, c, inputs[1].pointer(UInt16.self), inputs[2].pointer(UInt16.self), out.pointer(UInt16.self))
        default: Where.run(l, c, inputs[1].pointer(UInt8.self), inputs[2].pointer(UInt8.self), out.pointer(UInt8.self))
        }
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        let zero = g.zerosLike()
        let c = inputs[0]
        return [nil,
                needs[1] ? Tensor.where(c, g, zero).sumTo(inputs[1].shape) : nil,
                needs[2] ? Tensor.where(c, zero, g).sumTo(inputs[2].shape) : nil]
    }
}

extension Tensor {
    func compare(_ kind: CompareKind, _ other: Tensor) -> Tensor {
        guard dtype == other.dtype, dtype != .float16, dtype != .bfloat16 else {
            return Tensor.failed(GraftError(kind.rawValue, "cannot compare \(dtype) \(shape) with \(other.dtype) \(other.shape)"),
                                 dtype: .bool)
        }
        guard let out = Shapes.broadcast(shape, other.shape) else {
            return Tensor.failed(GraftError(kind.rawValue, "shapes \(shape) and \(other.shape) cannot be broadcast together"),
                                 dtype: .bool)
        }
        return Tensor.make(Compare(kind: kind), [self, other], shape: out, dtype: .bool)
    }

    public static func .== (a: Tensor, b: Tensor) -> Tensor { a.compare(.equal, b) }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { a.compare(.notEqual, b) }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { a.compare(.less, b) }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { a.compare(.lessEqual, b) }
    public static func .> (a: Tensor, b: Tensor) -> Tensor { a.compare(.greater, b) }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { a.compare(.greaterEqual, b) }
    public static func .== (a: Tensor, b: Double) -> Tensor { a.compare(.equal, a.scalar(b)) }
    public static func .!= (a: Tensor, b: Double) -> Tensor { a.compare(.notEqual, a.scalar(b)) }
    public static func .< (a: Tensor, b: Double) -> Tensor { a.compare(.less, a.scalar(b)) }
    public static func .<= (a: Tensor, b: Double) -> Tensor { a.compare(.lessEqual, a.scalar(b)) }
    public static func .> (a: Tensor, b: Double) -> Tensor { a.compare(.greater, a.scalar(b)) }
    public static func .>= (a: Tensor, b: Double) -> Tensor { a.compare(.greaterEqual, a.scalar(b)) }

    /// Elementwise `condition ? a : b` with broadcasting; `condition` must be `bool`.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        guard condition.dtype == .bool, a.dtype == b.dtype else {
            return failed(GraftError("where", "needs a bool condition and equal dtypes, got \(condition.dtype), \(a.dtype), \(b.dtype)"))
        }
        guard let ab = Shapes.broadcast(a.shape, b.shape), let out = Shapes.broadcast(condition.shape, ab) else {
            return failed(GraftError("where", "shapes \(condition.shape), \(a.shape), \(b.shape) cannot be broadcast together"))
        }
        return make(Where(), [condition, a, b], shape: out, dtype: a.dtype)
    }
}
