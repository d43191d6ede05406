/// Softmax, log-softmax and log-sum-exp along one axis, computed stably (max subtracted).
enum SoftmaxKind: String { case softmax, logSoftmax, logSumExp }

struct Softmax: Primitive {
    let kind: SoftmaxKind
    let axis: Int
    var name: String { kind.rawValue }

    static func run<T: KernelFloat>(_ kind: SoftmaxKind, _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>,
                                    _ l: AxisLayout) {
        let x = SendPtr(x), y = SendPtr(y)
        let (n, inner) = (l.axisSize, l.inner)
        Parallel.forEach(l.outer * inner, costPerItem: n * 8) { r in
            for idx in r {
                let o = idx / inner, j = idx % inner
                let src = x.p + o * n * inner + j
                var m = -T.infinity
                if inner == 1 { m = T.maximum(src, count: n) } else { for i in 0..<n { m = Swift.max(m, src[i * inner]) } }
                if m == -T.infinity { m = 0 }
                // float64 accumulation: long rows (a vocabulary) lose small terms in float32.
                var s64: Double = 0
                if inner == 1 && kind == .softmax {
                    // The exponentials go straight into the output, to be scaled there below.
                    T.exponentials(src, minus: m, into: y.p + o * n, count: n)
                    s64 = T.sumInFloat64(y.p + o * n, count: n)
                } else if inner == 1 {
                    s64 = T.sumOfExponentials(src, minus: m, count: n)
                } else {
                    for i in 0..<n { s64 += Double(T.exp(src[i * inner] - m)) }
                }
                let s = T(s64)
                let lse = m + T.log(s)
                switch kind {
                case .logSumExp:
                    y[idx] = lse
                case .logSoftmax:
                    let dst = y.p + o * n * inner + j
                    for i in 0..<n { dst[i * inner] = src[i * inner] - lse }
                case .softmax:
                    let dst = y.p + o * n * inner + j
                    let inv = 1 / s
                    if inner == 1 { for i in 0..<n { dst[i] *= inv } }
                    else { for i in 0..<n { dst[i * inner] = T.exp(src[i * inner] - m) * inv } }
                }
            }
        }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let l = AxisLayout(shape: inputs[0].shape, axis: axis)
        let x = inputs[0]
        dispatchFloat(x.dtype, name, { Softmax.run(kind, x.pointer(Float.self), out.pointer(Float.self), l) },
                      { Softmax.run(kind, x.pointer(Double.self), out.pointer(Double.self), l) })
        return out
    }

    func vjp(_ inputs: [Tensor], output y: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        switch kind {
        case .softmax: return [y * (g - (g * y).sum(axis: axis, keepDims: true))]
        case .logSoftmax: return [g - y.exp() * g.sum(axis: axis, keepDims: true)]
        case .logSumExp: return [g * (inputs[0] - y).exp()]
        }
    }
}

extension Tensor {
    func softmaxFamily(_ kind: SoftmaxKind, axis: Int) -> Tensor {
        guard let a = Shapes.axis(axis, rank: ndim), dtype.isFloatingCompute else {
            return Tensor.failed(GraftError(kind.rawValue, "axis \(axis) / dtype \(dtype) invalid for shape \(shape)"))
        }
        var out = shape
        if kind == .logSumExp { out[a] = 1 }
        return Tensor.make(Softmax(kind: kind, axis: a), [self], shape: out, dtype: dtype)
    }

    /// exp(x) / Σ exp(x) along `axis`.
    public func softmax(axis: Int = -1) -> Tensor { softmaxFamily(.softmax, axis: axis) }
    /// x − logΣexp(x) along `axis`.
    public func logSoftmax(axis: Int = -1) -> Tensor { softmaxFamily(.logSoftmax, axis: axis) }
    /// log Σ exp(x) along `axis`.
    public func logSumExp(axis: Int = -1, keepDims: Bool = false) -> Tensor {
        let r = softmaxFamily(.logSumExp, axis: axis)
        return keepDims ? r : r.squeezed([axis])
    }
}
