/// Reductions over one axis, output keeping that axis with length 1. Multi-axis reductions
/// are applied one axis at a time by the public API.
enum ReduceKind: String { case sum, max, argmax }

struct Reduce: Primitive {
    let kind: ReduceKind
    let axis: Int
    var name: String { kind.rawValue }

    static func sum<T: KernelFloat>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ l: AxisLayout) {
        let x = SendPtr(x), y = SendPtr(y)
        let (outer, n, inner) = (l.outer, l.axisSize, l.inner)
        if inner == 1 {
            Parallel.forEach(outer, costPerItem: n) { rows in
                for o in rows {
                    let row = x.p + o * n
                    var acc = SIMD8<T>(repeating: 0)
                    var i = 0
                    while i + 8 <= n {
                        acc += UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<T>.self)
                        i += 8
                    }
                    var s = acc.sum()
                    while i < n { s += row[i]; i += 1 }
                    y[o] = s
                }
            }
        } else {
            // Rows of the reduced axis are added in order into a contiguous accumulator, so the
            // loop reads memory sequentially and vectorises; work is split by columns.
            let columnBlock = 256
            let blocks = (inner + columnBlock - 1) / columnBlock
            Parallel.forEach(outer * blocks, costPerItem: n * Swift.min(inner, columnBlock)) { r in
                for item in r {
                    let o = item / blocks, c0 = (item % blocks) * columnBlock
                    let width = Swift.min(columnBlock, inner - c0)
                    let dst = y.p + o * inner + c0
                    dst.update(repeating: 0, count: width)
                    for k in 0..<n {
                        let src = x.p + (o * n + k) * inner + c0
                        for c in 0..<width { dst[c] += src[c] }
                    }
                }
            }
        }
    }

    static func max<T: KernelFloat>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>?,
                                    _ arg: UnsafeMutablePointer<Int32>?, _ l: AxisLayout) {
        let x = SendPtr(x)
        let yp = y.map(SendPtr.init), ap = arg.map(SendPtr.init)
        let (n, inner) = (l.axisSize, l.inner)
        Parallel.forEach(l.outer * inner, costPerItem: n) { r in
            for idx in r {
                let o = idx / inner, j = idx % inner
                let base = x.p + o * n * inner + j
                var best = base[0]
                var bi = 0
                for i in 1..<Swift.max(n, 1) {
                    let v = base[i * inner]
                    if v > best || (v.isNaN && !best.isNaN) { best = v; bi = i }
                }
                yp?[idx] = best
                ap?[idx] = Int32(bi)
            }
        }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let l = AxisLayout(shape: inputs[0].shape, axis: axis)
        let x = inputs[0]
        switch kind {
        case .sum:
            dispatchFloat(x.dtype, name, { Reduce.sum(x.pointer(Float.self), out.pointer(Float.self), l) },
                          { Reduce.sum(x.pointer(Double.self), out.pointer(Double.self), l) })
        case .max:
            dispatchFloat(x.dtype, name, { Reduce.max(x.pointer(Float.self), out.pointer(Float.self), nil, l) },
                          { Reduce.max(x.pointer(Double.self), out.pointer(Double.self), nil, l) })
        case .argmax:
            dispatchFloat(x.dtype, name, { Reduce.max(x.pointer(Float.self), nil, out.pointer(Int32.self), l) },
                          { Reduce.max(x.pointer(Double.self), nil, out.pointer(Int32.self), l) })
        }
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        let x = inputs[0]
        switch kind {
        case .sum: return [g.broadcast(to: x.shape)]
        case .max:
            let hit = (x .== output).astype(g.dtype)
            return [hit * (g / hit.sum(axes: [axis], keepDims: true))]
        case .argmax: return [nil]
        }
    }
}

extension Tensor {
    func reduce(_ kind: ReduceKind, axis: Int) -> Tensor {
        guard let a = Shapes.axis(axis, rank: ndim) else {
            return Tensor.failed(GraftError(kind.rawValue, "axis \(axis) out of range for shape \(shape)"))
        }
        guard dtype.isFloatingCompute else {
            return Tensor.failed(GraftError(kind.rawValue, "needs float32 or float64, got \(dtype)"))
        }
        if kind != .sum && shape[a] == 0 {
            return Tensor.failed(GraftError(kind.rawValue, "empty axis \(axis) in shape \(shape)"))
        }
        var out = shape
        out[a] = 1
        return Tensor.make(Reduce(kind: kind, axis: a), [self], shape: out, dtype: kind == .argmax ? .int32 : dtype)
    }

    func normalizedAxes(_ axes: [Int]?, op: String) -> [Int]? {
        guard let axes else { return Array(0..<ndim) }
        var seen = Set<Int>()
        for a in axes {
            guard let n = Shapes.axis(a, rank: ndim), seen.insert(n).inserted else {
                _ = Tensor.failed(GraftError(op, "axes \(axes) invalid for shape \(shape)"))
                return nil
            }
        }
        return seen.sorted()
    }

    func reduceAxes(_ kind: ReduceKind, _ axes: [Int]?, keepDims: Bool) -> Tensor {
        guard let list = normalizedAxes(axes, op: kind.rawValue) else { return Tensor.failed(GraftError(kind.rawValue, "bad axes")) }
        if ndim == 0 { return self }
        var r = self
        for a in list { r = r.reduce(kind, axis: a) }
        if keepDims { return r }
        return r.reshaped(shape.enumerated().filter { !list.contains($0.offset) }.map(\.element))
    }

    /// Sum over `axes` (all when nil).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { reduceAxes(.sum, axes, keepDims: keepDims) }
    /// Sum over one axis.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }
    /// Mean over `axes` (all when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        guard let list = normalizedAxes(axes, op: "mean") else { return Tensor.failed(GraftError("mean", "bad axes")) }
        let n = list.reduce(1) { $0 * shape[$1] }
        return sum(axes: list, keepDims: keepDims) / Double(n)
    }
    /// Mean over one axis.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }
    /// Maximum over `axes` (all when nil).
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { reduceAxes(.max, axes, keepDims: keepDims) }
    /// Maximum over one axis.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor { max(axes: [axis], keepDims: keepDims) }
    /// Index of the maximum along `axis` (first one on ties), as int32.
    public func argmax(axis: Int = -1, keepDims: Bool = false) -> Tensor {
        let r = reduce(.argmax, axis: axis)
        guard !keepDims, let a = Shapes.axis(axis, rank: ndim) else { return r }
        var s = shape
        s.remove(at: a)
        return r.reshaped(s)
    }

    /// Sums a broadcast gradient back to `target` (the vjp of broadcasting).
    public func sumTo(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = ndim - target.count
        var axes = Array(0..<lead)
        for (i, d) in target.enumerated() where d == 1 && shape[i + lead] != 1 { axes.append(i + lead) }
        var r = self
        for a in axes.reversed() { r = r.reduce(.sum, axis: a) }
        return r.reshaped(target)
    }
}
