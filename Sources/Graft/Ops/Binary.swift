/// Elementwise functions of two broadcast tensors of one dtype.
enum BinaryKind: String {
    case add, sub, mul, div, pow, maximum, minimum
}

struct Binary: Primitive {
    let kind: BinaryKind
    var name: String { kind.rawValue }

    @inline(__always)
    static func loop<T>(_ a: UnsafeMutablePointer<T>, _ sa: Int, _ b: UnsafeMutablePointer<T>, _ sb: Int,
                        _ y: UnsafeMutablePointer<T>, _ n: Int, _ f: (T, T) -> T) {
        if sa == 1 && sb == 1 { for i in 0..<n { y[i] = f(a[i], b[i]) } }
        else if sa == 1 && sb == 0 { let s = b[0]; for i in 0..<n { y[i] = f(a[i], s) } }
        else if sa == 0 && sb == 1 { let s = a[0]; for i in 0..<n { y[i] = f(s, b[i]) } }
        else { for i in 0..<n { y[i] = f(a[i * sa], b[i * sb]) } }
    }

    @inline(__always)
    static func float<T: KernelFloat>(_ kind: BinaryKind, _ l: BroadcastLayout, _ a: UnsafeMutablePointer<T>,
                                      _ b: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>) {
        let sa = l.strides[0].last!, sb = l.strides[1].last!
        let a = SendPtr(a), b = SendPtr(b), y = SendPtr(y)
        // The switch sits inside each run so every loop is specialised with its operator inlined.
        l.forEachRun(cost: 2) { o, ia, ib, _, n in
            let pa = a.p + ia, pb = b.p + ib, py = y.p + o
            switch kind {
            case .add: loop(pa, sa, pb, sb, py, n, +)
            case .sub: loop(pa, sa, pb, sb, py, n, -)
            case .mul: loop(pa, sa, pb, sb, py, n, *)
            case .div: loop(pa, sa, pb, sb, py, n, /)
            case .pow: loop(pa, sa, pb, sb, py, n, T.pow)
            case .maximum: loop(pa, sa, pb, sb, py, n) { $0 >= $1 || $0.isNaN ? $0 : $1 }
            case .minimum: loop(pa, sa, pb, sb, py, n) { $0 <= $1 || $0.isNaN ? $0 : $1 }
            }
        }
    }

    static func int(_ kind: BinaryKind, _ l: BroadcastLayout, _ a: UnsafeMutablePointer<Int32>,
                    _ b: UnsafeMutablePointer<Int32>, _ y: UnsafeMutablePointer<Int32>) {
        let sa = l.strides[0].last!, sb = l.strides[1].last!
        let a = SendPtr(a), b = SendPtr(b), y = SendPtr(y)
        l.forEachRun(cost: 2) { o, ia, ib, _, n in
            let pa = a.p + ia, pb = b.p + ib, py = y.p + o
            switch kind {
            case .add: loop(pa, sa, pb, sb, py, n, &+)
            case .sub: loop(pa, sa, pb, sb, py, n, &-)
            case .mul: loop(pa, sa, pb, sb, py, n, &*)
            case .maximum: loop(pa, sa, pb, sb, py, n, Swift.max)
            case .minimum: loop(pa, sa, pb, sb, py, n, Swift.min)
            case .div, .pow: fatalError("\(kind): no int32 kernel")
            }
        }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let layout = BroadcastLayout(output: output.shape, operands: [inputs[0].shape, inputs[1].shape])
        switch output.dtype {
        case .float32: Binary.float(kind, layout, inputs[0].pointer(Float.self), inputs[1].pointer(Float.self), out.pointer(Float.self))
        case .float64: Binary.float(kind, layout, inputs[0].pointer(Double.self), inputs[1].pointer(Double.self), out.pointer(Double.self))
        case .int32: Binary.int(kind, layout, inputs[0].pointer(Int32.self), inputs[1].pointer(Int32.self), out.pointer(Int32.self))
        default: fatalError("\(name): no kernel for \(output.dtype)")
        }
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        let a = inputs[0], b = inputs[1]
        var ga: Tensor?, gb: Tensor?
        switch kind {
        case .add: ga = g; gb = g
        case .sub: ga = g; gb = needs[1] ? -g : nil
        case .mul: ga = needs[0] ? g * b : nil; gb = needs[1] ? g * a : nil
        case .div: ga = needs[0] ? g / b : nil; gb = needs[1] ? -g * output / b : nil
        case .pow:
            ga = needs[0] ? g * b * a.pow(b - 1) : nil
            gb = needs[1] ? g * output * a.log() : nil
        case .maximum, .minimum:
            let pickA = (kind == .maximum ? a .>= b : a .<= b).astype(g.dtype)
            ga = needs[0] ? g * pickA : nil
            gb = needs[1] ? g * (1 - pickA) : nil
        }
        return [needs[0] ? ga?.sumTo(a.shape) : nil, needs[1] ? gb?.sumTo(b.shape) : nil]
    }
}

extension Tensor {
    func binary(_ kind: BinaryKind, _ other: Tensor) -> Tensor {
        let op = kind.rawValue
        guard dtype == other.dtype else {
            return Tensor.failed(GraftError(op, "dtype mismatch: \(dtype) \(shape) vs \(other.dtype) \(other.shape)"))
        }
        let intOK = dtype == .int32 && kind != .div && kind != .pow
        guard dtype.isFloatingCompute || intOK else {
            return Tensor.failed(GraftError(op, "no kernel for \(dtype) (shapes \(shape), \(other.shape))"))
        }
        guard let out = Shapes.broadcast(shape, other.shape) else {
            return Tensor.failed(GraftError(op, "shapes \(shape) and \(other.shape) cannot be broadcast together"))
        }
        return Tensor.make(Binary(kind: kind), [self, other], shape: out, dtype: dtype)
    }

    /// A 0-d tensor of this tensor's dtype (scalars adopt the tensor's dtype).
    func scalar(_ v: Double) -> Tensor { Tensor.full([], v, dtype: dtype) }

    public static func + (a: Tensor, b: Tensor) -> Tensor { a.binary(.add, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.binary(.sub, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.binary(.mul, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.binary(.div, b) }
    public static func + (a: Tensor, b: Double) -> Tensor { a.binary(.add, a.scalar(b)) }
    public static func - (a: Tensor, b: Double) -> Tensor { a.binary(.sub, a.scalar(b)) }
    public static func * (a: Tensor, b: Double) -> Tensor { a.binary(.mul, a.scalar(b)) }
    public static func / (a: Tensor, b: Double) -> Tensor { a.binary(.div, a.scalar(b)) }
    public static func + (a: Double, b: Tensor) -> Tensor { b.scalar(a).binary(.add, b) }
    public static func - (a: Double, b: Tensor) -> Tensor { b.scalar(a).binary(.sub, b) }
    public static func * (a: Double, b: Tensor) -> Tensor { b.scalar(a).binary(.mul, b) }
    public static func / (a: Double, b: Tensor) -> Tensor { b.scalar(a).binary(.div, b) }

    /// Elementwise power.
    public func pow(_ e: Tensor) -> Tensor { binary(.pow, e) }
    /// Elementwise power with a scalar exponent.
    public func pow(_ e: Double) -> Tensor { binary(.pow, scalar(e)) }
    /// Elementwise maximum (NaN propagates from the first argument).
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { a.binary(.maximum, b) }
    /// Elementwise minimum.
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { a.binary(.minimum, b) }
}
