import Foundation

/// Mean cross-entropy of `logits [N, V]` against int32 `targets [N]`, each row weighted by
/// `weights [N]` (1 = counted, 0 = ignored): `Σ wᵢ (logΣexp(xᵢ) − xᵢ[tᵢ]) / Σ wᵢ` (0 when no row
/// counts). The vjp is `(softmax(x) − onehot(t)) · w / Σw`.
struct CrossEntropy: Primitive {
    var name: String { "crossEntropy" }

    /// Per-row log-sum-exp. The sum of exponentials is accumulated in float64: over a 50K-word
    /// vocabulary a float32 running sum drops the small terms and biases the loss (and the
    /// softmax in the gradient) by ~1e-4.
    @inline(__always) static func lse<T: KernelFloat>(_ row: UnsafeMutablePointer<T>, _ v: Int) -> T {
        let m = T.maximum(row, count: v)
        return m + T(Foundation.log(T.sumOfExponentials(row, minus: m, count: v)))
    }

    /// Rows run in parallel; their losses are then summed in row order (the same total
    /// whatever the thread count).
    static func run<T: KernelFloat>(_ x: UnsafeMutablePointer<T>, _ t: UnsafeMutablePointer<Int32>, _ w: UnsafeMutablePointer<T>,
                                    n: Int, v: Int) -> T {
        for i in 0..<n where w[i] != 0 {
            precondition(t[i] >= 0 && Int(t[i]) < v, "crossEntropy: target \(t[i]) out of range for \(v) classes (row \(i))")
        }
        let losses = UnsafeMutablePointer<T>.allocate(capacity: n)
        defer { losses.deallocate() }
        let xs = SendPtr(x), ts = SendPtr(t), ws = SendPtr(w), ls = SendPtr(losses)
        Parallel.forEach(n, costPerItem: v * 4) { r in
            for i in r {
                let row = xs.p + i * v
                ls[i] = ws[i] == 0 ? 0 : ws[i] * (lse(row, v) - row[Int(ts[i])])
            }
        }
        var total: T = 0, weight: T = 0
        for i in 0..<n where w[i] != 0 {
            total += losses[i]
            weight += w[i]
        }
        return weight > 0 ? total / weight : 0
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let x = inputs[0], t = inputs[1].pointer(Int32.self), w = inputs[2]
        let (n, v) = (x.shape[0], x.shape[1])
        dispatchFloat(x.dtype, name, { out.pointer(Float.self)[0] = CrossEntropy.run(x.pointer(Float.self), t, w.pointer(Float.self), n: n, v: v) },
                      { out.pointer(Double.self)[0] = CrossEntropy.run(x.pointer(Double.self), t, w.pointer(Double.self), n: n, v: v) })
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        [Tensor.make(CrossEntropyGrad(), [inputs[0], inputs[1], inputs[2], g], shape: inputs[0].shape, dtype: g.dtype), nil, nil]
    }
}

/// The gradient of `CrossEntropy` with respect to the logits, scaled by the output cotangent.
struct CrossEntropyGrad: Primitive {
    var name: String { "crossEntropyGrad" }

    static func run<T: KernelFloat>(_ x: UnsafeMutablePointer<T>, _ t: UnsafeMutablePointer<Int32>, _ w: UnsafeMutablePointer<T>,
                                    _ g: T, _ y: UnsafeMutablePointer<T>, n: Int, v: Int) {
        var weight: T = 0
        for i in 0..<n { weight += w[i] }
        let xs = SendPtr(x), ys = SendPtr(y), ts = SendPtr(t), ws = SendPtr(w)
        Parallel.forEach(n, costPerItem: v * 4) { r in
            for i in r {
                let row = xs.p + i * v, dst = ys.p + i * v
                let wi = ws[i]
                if wi == 0 || weight == 0 { dst.update(repeating: 0, count: v); continue }
                let lse = CrossEntropy.lse(row, v)
                let c = g * wi / weight
                T.exponentials(row, minus: lse, into: dst, count: v)
                for j in 0..<v { dst[j] *= c }
                dst[Int(ts[i])] -= c
            }
        }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let x = inputs[0], t = inputs[1].pointer(Int32.self), w = inputs[2], g = inputs[3]
        let (n, v) = (x.shape[0], x.shape[1])
        dispatchFloat(x.dtype, name, {
            CrossEntropyGrad.run(x.pointer(Float.self), t, w.pointer(Float.self), g.pointer(Float.self)[0], out.pointer(Float.self), n: n, v: v)
        }, {
            CrossEntropyGrad.run(x.pointer(Double.self), t, w.pointer(Double.self), g.pointer(Double.self)[0], out.pointer(Double.self), n: n, v: v)
        })
        return out
    }
}

extension Tensor {
    /// Mean cross-entropy over the rows of `logits [..., V]` whose `mask` is true/non-zero
    /// (all rows when nil). `targets` are int32 class ids with the logits' leading shape.
    public static func crossEntropy(logits: Tensor, targets: Tensor, mask: Tensor? = nil) -> Tensor {
        let lead = Array(logits.shape.dropLast())
        guard logits.ndim >= 1, logits.dtype.isFloatingCompute, targets.dtype == .int32, targets.shape == lead,
              mask.map({ $0.shape == lead }) ?? true else {
            return failed(GraftError("crossEntropy", "logits \(logits.shape) \(logits.dtype), targets \(targets.shape) \(targets.dtype), mask \(mask?.shape ?? []) do not fit [..., V], int32 [...], [...]"))
        }
        let v = logits.shape.last!, n = Shapes.count(lead)
        let weights = mask.map { $0.astype(logits.dtype) } ?? Tensor.ones(lead, dtype: logits.dtype)
        return make(CrossEntropy(), [logits.reshaped([n, v]), targets.reshaped([n]), weights.reshaped([n])],
                    shape: [], dtype: logits.dtype)
    }
}
