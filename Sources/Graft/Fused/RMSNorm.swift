/// RMS normalisation over the last axis: `x / sqrt(mean(x²) + eps) * weight`.
struct RMSNorm: Primitive {
    let eps: Double
    var name: String { "rmsNorm" }

    static func run<T: KernelFloat>(_ x: UnsafeMutablePointer<T>, _ w: UnsafeMutablePointer<T>,
                                    _ y: UnsafeMutablePointer<T>, rows: Int, dim: Int, eps: T) {
        let x = SendPtr(x), w = SendPtr(w), y = SendPtr(y)
        Parallel.forEach(rows, costPerItem: dim * 3) { r in
            for row in r {
                let src = x.p + row * dim, dst = y.p + row * dim
                var ss: T = 0
                for i in 0..<dim { ss += src[i] * src[i] }
                let scale = 1 / T.sqrt(ss / T(dim) + eps)
                for i in 0..<dim { dst[i] = src[i] * scale * w[i] }
            }
        }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let x = inputs[0], w = inputs[1]
        let dim = x.shape.last!, rows = x.count / max(dim, 1)
        dispatchFloat(x.dtype, name,
                      { RMSNorm.run(x.pointer(Float.self), w.pointer(Float.self), out.pointer(Float.self), rows: rows, dim: dim, eps: Float(eps)) },
                      { RMSNorm.run(x.pointer(Double.self), w.pointer(Double.self), out.pointer(Double.self), rows: rows, dim: dim, eps: eps) })
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        let x = inputs[0], w = inputs[1]
        let r = ((x * x).mean(axis: -1, keepDims: true) + eps).rsqrt().stopGradient()
        let normed = x * r
        let gw: Tensor? = needs[1] ? (g * normed).sumTo(w.shape) : nil
        var gx: Tensor?
        if needs[0] {
            let gn = g * w
            gx = r * (gn - normed * (gn * normed).mean(axis: -1, keepDims: true))
        }
        return [gx, gw]
    }
}

extension Tensor {
    /// RMSNorm over the last axis with a learned `weight` of that axis's length.
    public func rmsNorm(weight: Tensor, eps: Double = 1e-5) -> Tensor {
        guard ndim >= 1, weight.shape == [shape.last!], weight.dtype == dtype, dtype.isFloatingCompute else {
            return Tensor.failed(GraftError("rmsNorm", "x \(shape) \(dtype) needs a weight of shape [\(shape.last ?? 0)] \(dtype), got \(weight.shape) \(weight.dtype)"))
        }
        return Tensor.make(RMSNorm(eps: eps), [self, weight], shape: shape, dtype: dtype)
    }
}
