/// Reshape: the same buffer under another shape (no copy).
struct Reshape: Primitive {
    var name: String { "reshape" }
    func forward(_ inputs: [Node], output: Node) -> Buffer { inputs[0].buffer! }
    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        [g.reshaped(inputs[0].shape)]
    }
}

/// Identity whose gradient is zero.
struct StopGradient: Primitive {
    var name: String { "stopGradient" }
    func forward(_ inputs: [Node], output: Node) -> Buffer { inputs[0].buffer! }
    func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor, needs: [Bool]) -> [Tensor?] { [nil] }
}

/// A strided view copied out: transpose (permuted strides), broadcast (zero strides) and
/// slice (offset and multiplied strides) are all this primitive.
struct View: Primitive {
    enum Kind { case transpose([Int]), broadcast, slice(start: [Int], step: [Int]) }
    let kind: Kind
    var name: String {
        switch kind {
        case .transpose: return "transpose"
        case .broadcast: return "broadcast"
        case .slice: return "slice"
        }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let x = inputs[0]
        let out = output.allocate()
        var offset = 0
        var strides: [Int]
        switch kind {
        case .transpose(let perm):
            let s = Shapes.strides(x.shape)
            strides = perm.map { s[$0] }
        case .broadcast:
            strides = Shapes.broadcastStrides(x.shape, to: output.shape)
        case .slice(let start, let step):
            let s = Shapes.strides(x.shape)
            strides = zip(s, step).map(*)
            offset = zip(s, start).map(*).reduce(0, +)
        }
        if output.count > 0 {
            StridedCopy.run(src: x.buffer!.data, offset: offset, strides: strides, shape: output.shape,
                            dst: out.data, elementSize: x.dtype.size)
        }
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        let x = inputs[0]
        switch kind {
        case .transpose(let perm):
            var inverse = perm
            for (i, p) in perm.enumerated() { inverse[p] = i }
            return [g.transposed(inverse)]
        case .broadcast:
            return [g.sumTo(x.shape)]
        case .slice(let start, let step):
            return [Tensor.make(SliceScatter(start: start, step: step), [g], shape: x.shape, dtype: g.dtype)]
        }
    }
}

/// Zeros of the sliced tensor's shape with the cotangent written into the slice (slice's vjp).
struct SliceScatter: Primitive {
    let start: [Int]
    let step: [Int]
    var name: String { "sliceScatter" }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        out.data.initializeMemory(as: UInt8.self, repeating: 0, count: output.byteCount)
        let g = inputs[0]
        let s = Shapes.strides(output.shape)
        let offset = zip(s, start).map(*).reduce(0, +)
        let strides = zip(s, step).map(*)
        // Scatter: walk the slice's elements and write each cotangent value to its place.
        let n = g.count, size = g.dtype.size
        let shape = g.shape
        var index = [Int](repeating: 0, count: shape.count)
        for i in 0..<n {
            var off = offset
            for k in 0..<shape.count { off += index[k] * strides[k] }
            (out.data + off * size).copyMemory(from: g.buffer!.data + i * size, byteCount: size)
            var k = shape.count - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < shape[k] { break }
                index[k] = 0
                k -= 1
            }
        }
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        [Tensor.make(View(kind: .slice(start: start, step: step)), [g], shape: inputs[0].shape, dtype: g.dtype)]
    }
}
