/// Joins tensors along one axis.
struct Concatenate: Primitive {
    let axis: Int
    var name: String { "concatenate" }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let size = output.dtype.size
        let l = AxisLayout(shape: output.shape, axis: axis)
        let rowBytes = l.axisSize * l.inner * size
        var column = 0
        for x in inputs {
            let chunk = x.shape[axis] * l.inner * size
            let src = x.buffer!.data
            for o in 0..<l.outer {
                (out.data + o * rowBytes + column).copyMemory(from: src + o * chunk, byteCount: chunk)
            }
            column += chunk
        }
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        var start = 0
        return inputs.enumerated().map { i, x in
            defer { start += x.shape[axis] }
            return needs[i] ? g.slice(axis: axis, start..<(start + x.shape[axis])) : nil
        }
    }
}

extension Tensor {
    /// Joins `tensors` along `axis`; all other axes must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        guard let first = tensors.first, let a = Shapes.axis(axis, rank: first.ndim) else {
            return failed(GraftError("concatenate", "needs at least one tensor and a valid axis \(axis)"))
        }
        for t in tensors {
            var s1 = t.shape, s0 = first.shape
            guard t.ndim == first.ndim, t.dtype == first.dtype else {
                return failed(GraftError("concatenate", "shapes/dtypes \(tensors.map { "\($0.shape) \($0.dtype)" }) differ in rank or dtype"))
            }
            s1[a] = 0
            s0[a] = 0
            guard s1 == s0 else {
                return failed(GraftError("concatenate", "shapes \(tensors.map(\.shape)) differ outside axis \(axis)"))
            }
        }
        if tensors.count == 1 { return first }
        var out = first.shape
        out[a] = tensors.map { $0.shape[a] }.reduce(0, +)
        return make(Concatenate(axis: a), tensors, shape: out, dtype: first.dtype)
    }
}
