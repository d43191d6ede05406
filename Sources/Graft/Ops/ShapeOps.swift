extension Tensor {
    /// The same values under `newShape`; one entry may be -1 (inferred). No copy.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        let unknown = s.indices.filter { s[$0] == -1 }
        let known = s.filter { $0 != -1 }.reduce(1, *)
        if unknown.count == 1, known > 0, size % known == 0 { s[unknown[0]] = size / known }
        guard unknown.count <= 1, s.allSatisfy({ $0 >= 0 }), Shapes.count(s) == size else {
            return Tensor.failed(GraftError("reshape", "cannot reshape \(shape) (\(size) elements) to \(newShape)"),
                                 shape: s.map { Swift.max($0, 0) }, dtype: dtype)
        }
        if s == shape { return self }
        return Tensor.make(Reshape(), [self], shape: s, dtype: dtype)
    }

    /// Reshape (variadic form).
    public func reshaped(_ dims: Int...) -> Tensor { reshaped(dims) }

    /// Axes reordered: output axis i is input axis `permutation[i]`.
    public func transposed(_ permutation: [Int]) -> Tensor {
        let perm = permutation.map { $0 < 0 ? $0 + ndim : $0 }
        guard perm.count == ndim, Set(perm) == Set(0..<ndim) else {
            return Tensor.failed(GraftError("transpose", "permutation \(permutation) invalid for shape \(shape)"))
        }
        if perm == Array(0..<ndim) { return self }
        return Tensor.make(View(kind: .transpose(perm)), [self], shape: perm.map { shape[$0] }, dtype: dtype)
    }

    /// Swaps two axes.
    public func swappedAxes(_ a: Int, _ b: Int) -> Tensor {
        guard let x = Shapes.axis(a, rank: ndim), let y = Shapes.axis(b, rank: ndim) else {
            return Tensor.failed(GraftError("swapAxes", "axes \(a), \(b) out of range for shape \(shape)"))
        }
        var perm = Array(0..<ndim)
        perm.swapAt(x, y)
        return transposed(perm)
    }

    /// The last two axes swapped (matrix transpose).
    public var T: Tensor { ndim < 2 ? self : swappedAxes(-1, -2) }

    /// Broadcast to `target` with NumPy rules (copies).
    public func broadcast(to target: [Int]) -> Tensor {
        guard Shapes.broadcast(shape, target) == target else {
            return Tensor.failed(GraftError("broadcast", "cannot broadcast \(shape) to \(target)"), shape: target, dtype: dtype)
        }
        if shape == target { return self }
        if Shapes.count(target) == size { return reshaped(target) }
        return Tensor.make(View(kind: .broadcast), [self], shape: target, dtype: dtype)
    }

    /// Inserts a length-1 axis at `axis`.
    public func expandedDims(_ axis: Int) -> Tensor {
        guard let a = Shapes.axis(axis, rank: ndim + 1) else {
            return Tensor.failed(GraftError("expandDims", "axis \(axis) out of range for shape \(shape)"))
        }
        var s = shape
        s.insert(1, at: a)
        return reshaped(s)
    }

    /// Removes length-1 axes (`axes` nil: all of them).
    public func squeezed(_ axes: [Int]? = nil) -> Tensor {
        let list = (axes ?? shape.indices.filter { shape[$0] == 1 }).compactMap { Shapes.axis($0, rank: ndim) }
        guard list.allSatisfy({ shape[$0] == 1 }) else {
            return Tensor.failed(GraftError("squeeze", "axes \(axes ?? []) are not all length 1 in \(shape)"))
        }
        return reshaped(shape.indices.filter { !list.contains($0) }.map { shape[$0] })
    }

    /// A strided slice with Python semantics per axis: negative indices count from the end,
    /// out-of-range bounds clamp, `step` may be negative. Missing trailing axes are taken whole.
    public func slice(start: [Int], stop: [Int], step: [Int]? = nil) -> Tensor {
        let step = step ?? [Int](repeating: 1, count: start.count)
        guard start.count == stop.count, step.count == start.count, start.count <= ndim, !step.contains(0) else {
            return Tensor.failed(GraftError("slice", "start \(start), stop \(stop), step \(step) invalid for shape \(shape)"))
        }
        var begin = [Int](repeating: 0, count: ndim)
        var steps = [Int](repeating: 1, count: ndim)
        var out = shape
        for k in 0..<start.count {
            let n = shape[k], st = step[k]
            func norm(_ i: Int, _ lo: Int, _ hi: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + n : i, lo), hi) }
            let b = st > 0 ? norm(start[k], 0, n) : norm(start[k], -1, n - 1)
            let e = st > 0 ? norm(stop[k], 0, n) : norm(stop[k], -1, n - 1)
            let count = st > 0 ? Swift.max(0, (e - b + st - 1) / st) : Swift.max(0, (b - e - st - 1) / -st)
            begin[k] = count > 0 ? b : 0
            steps[k] = st
            out[k] = count
        }
        if out == shape && steps.allSatisfy({ $0 == 1 }) { return self }
        return Tensor.make(View(kind: .slice(start: begin, step: steps)), [self], shape: out, dtype: dtype)
    }

    /// `count` elements from `start` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        guard let a = Shapes.axis(axis, rank: ndim), range.lowerBound >= 0, range.upperBound <= shape[a] else {
            return Tensor.failed(GraftError("slice", "range \(range) on axis \(axis) out of bounds for shape \(shape)"))
        }
        var s = [Int](repeating: 0, count: a + 1), e = Array(shape.prefix(a + 1))
        s[a] = range.lowerBound
        e[a] = range.upperBound
        return slice(start: s, stop: e)
    }

    /// Values converted to `dtype` (float → int truncates toward zero).
    public func astype(_ target: DType) -> Tensor {
        if target == dtype { return self }
        return Tensor.make(AsType(), [self], shape: shape, dtype: target)
    }

    /// The same values, treated as a constant by autodiff.
    public func stopGradient() -> Tensor { Tensor.make(StopGradient(), [self], shape: shape, dtype: dtype) }
}
