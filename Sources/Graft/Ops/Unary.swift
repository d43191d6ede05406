/// Elementwise functions of one float tensor: forward formula and derivative side by side.
enum UnaryKind: String {
    case neg, exp, log, sqrt, rsqrt, sigmoid, silu, tanh, abs, square
}

struct Unary: Primitive {
    let kind: UnaryKind
    var name: String { kind.rawValue }

    @inline(__always)
    static func apply<T: KernelFloat>(_ kind: UnaryKind, _ x: UnsafeMutablePointer<T>,
                                      _ y: UnsafeMutablePointer<T>, _ r: Range<Int>) {
        switch kind {
        case .neg: for i in r { y[i] = -x[i] }
        case .exp: for i in r { y[i] = T.exp(x[i]) }
        case .log: for i in r { y[i] = T.log(x[i]) }
        case .sqrt: for i in r { y[i] = T.sqrt(x[i]) }
        case .rsqrt: for i in r { y[i] = 1 / T.sqrt(x[i]) }
        case .sigmoid: for i in r { y[i] = 1 / (1 + T.exp(-x[i])) }
        case .silu: for i in r { let v = x[i]; y[i] = v / (1 + T.exp(-v)) }
        case .tanh: for i in r { y[i] = T.tanh(x[i]) }
        case .abs: for i in r { y[i] = Swift.abs(x[i]) }
        case .square: for i in r { y[i] = x[i] * x[i] }
        }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let n = output.count
        let kind = self.kind
        func run<T: KernelFloat>(_: T.Type) {
            let x = SendPtr(inputs[0].pointer(T.self)), y = SendPtr(out.pointer(T.self))
            Parallel.forEach(n, costPerItem: 8) { r in Unary.apply(kind, x.p, y.p, r) }
        }
        dispatchFloat(output.dtype, name, { run(Float.self) }, { run(Double.self) })
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        let x = inputs[0], y = output
        switch kind {
        case .neg: return [-g]
        case .exp: return [g * y]
        case .log: return [g / x]
        case .sqrt: return [g / (y * 2)]
        case .rsqrt: return [g * y * y * y * -0.5]
        case .sigmoid: return [g * y * (1 - y)]
        case .silu:
            let s = x.sigmoid()
            return [g * s * (1 + x * (1 - s))]
        case .tanh: return [g * (1 - y * y)]
        case .abs: return [g * x.sign()]
        case .square: return [g * x * 2]
        }
    }
}

extension Tensor {
    func unary(_ kind: UnaryKind) -> Tensor {
        guard dtype.isFloatingCompute else {
            return Tensor.failed(GraftError(kind.rawValue, "needs float32 or float64, got \(dtype) with shape \(shape)"),
                                 shape: shape, dtype: dtype)
        }
        return Tensor.make(Unary(kind: kind), [self], shape: shape, dtype: dtype)
    }

    public static prefix func - (x: Tensor) -> Tensor { x.unary(.neg) }
    /// e^x.
    public func exp() -> Tensor { unary(.exp) }
    /// Natural logarithm.
    public func log() -> Tensor { unary(.log) }
    /// Square root.
    public func sqrt() -> Tensor { unary(.sqrt) }
    /// 1 / sqrt(x).
    public func rsqrt() -> Tensor { unary(.rsqrt) }
    /// 1 / (1 + e^-x).
    public func sigmoid() -> Tensor { unary(.sigmoid) }
    /// x · sigmoid(x).
    public func silu() -> Tensor { unary(.silu) }
    /// Hyperbolic tangent.
    public func tanh() -> Tensor { unary(.tanh) }
    /// |x|.
    public func abs() -> Tensor { unary(.abs) }
    /// x².
    public func square() -> Tensor { unary(.square) }
    /// -1, 0 or 1 (not differentiable: treated as a constant).
    public func sign() -> Tensor {
        Tensor.where(self .> 0, Tensor.ones([], dtype: dtype),
                     Tensor.where(self .< 0, Tensor.full([], -1, dtype: dtype), Tensor.zeros([], dtype: dtype)))
    }
}
