/// `take` along an axis (embedding lookup) and its vjp, scatter-add.
struct Take: Primitive {
    let axis: Int
    var name: String { "take" }

    static func checkIndices(_ idx: Node, limit: Int, op: String, shape: [Int]) -> UnsafeMutablePointer<Int32> {
        let p = idx.pointer(Int32.self)
        for i in 0..<idx.count where p[i] < -Int32(limit) || p[i] >= Int32(limit) {
            fatalError("\(op): index \(p[i]) out of range for axis of length \(limit) (shape \(shape))")
        }
        return p
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let x = inputs[0], idx = inputs[1]
        let out = output.allocate()
        let l = AxisLayout(shape: x.shape, axis: axis)
        let ids = SendPtr(Take.checkIndices(idx, limit: l.axisSize, op: name, shape: x.shape))
        let rowBytes = l.inner * x.dtype.size
        let n = idx.count
        let src = x.buffer!.data, dst = out.data
        let (outer, a) = (l.outer, l.axisSize)
        Parallel.forEach(outer * n, costPerItem: l.inner) { r in
            for k in r {
                let o = k / n, j = k % n
                var i = Int(ids[j])
                if i < 0 { i += a }
                (dst + k * rowBytes).copyMemory(from: src + (o * a + i) * rowBytes, byteCount: rowBytes)
            }
        }
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        [Tensor.make(ScatterAdd(axis: axis), [g, inputs[1]], shape: inputs[0].shape, dtype: g.dtype), nil]
    }
}

/// Zeros of the source's shape with cotangent rows added at the taken indices.
struct ScatterAdd: Primitive {
    let axis: Int
    var name: String { "scatterAdd" }

    static func run<T: KernelFloat>(_ g: UnsafeMutablePointer<T>, _ ids: UnsafeMutablePointer<Int32>, _ n: Int,
                                    _ y: UnsafeMutablePointer<T>, _ l: AxisLayout) {
        let (outer, a, inner) = (l.outer, l.axisSize, l.inner)
        y.update(repeating: 0, count: outer * a * inner)
        let gs = SendPtr(g), ys = SendPtr(y)
        // Each worker owns a band of inner columns, so concurrent adds never collide.
        Parallel.forEach(inner, costPerItem: outer * n) { cols in
            for o in 0..<outer {
                for j in 0..<n {
                    var i = Int(ids[j])
                    if i < 0 { i += a }
                    let src = gs.p + (o * n + j) * inner, dst = ys.p + (o * a + i) * inner
                    for c in cols { dst[c] += src[c] }
                }
            }
        }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let g = inputs[0], idx = inputs[1]
        let out = output.allocate()
        let l = AxisLayout(shape: output.shape, axis: axis)
        let ids = Take.checkIndices(idx, limit: l.axisSize, op: name, shape: output.shape)
        dispatchFloat(output.dtype, name, { ScatterAdd.run(g.pointer(Float.self), ids, idx.count, out.pointer(Float.self), l) },
                      { ScatterAdd.run(g.pointer(Double.self), ids, idx.count, out.pointer(Double.self), l) })
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        [g.take(inputs[1], axis: axis).reshaped(inputs[0].shape), nil]
    }
}

extension Tensor {
    /// Gathers slices along `axis` at `indices` (int32, any shape; negative counts from the
    /// end). Output shape: `shape[..<axis] + indices.shape + shape[(axis+1)...]`.
    public func take(_ indices: Tensor, axis: Int = 0) -> Tensor {
        guard let a = Shapes.axis(axis, rank: ndim) else {
            return Tensor.failed(GraftError("take", "axis \(axis) out of range for shape \(shape)"))
        }
        guard indices.dtype == .int32 else {
            return Tensor.failed(GraftError("take", "indices must be int32, got \(indices.dtype) \(indices.shape)"))
        }
        let out = Array(shape[..<a]) + indices.shape + Array(shape[(a + 1)...])
        return Tensor.make(Take(axis: a), [self, indices.reshaped([indices.size])], shape: out, dtype: dtype)
    }
}
