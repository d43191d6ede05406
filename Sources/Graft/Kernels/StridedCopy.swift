/// Copies a strided view of a buffer into contiguous memory: the one kernel behind
/// transpose, broadcast and slice.
enum StridedCopy {
    /// `dst[i] = src[offset + Σ index_k · strides[k]]` over `shape` in row-major order.
    static func run(src: UnsafeMutableRawPointer, offset: Int, strides: [Int], shape: [Int],
                    dst: UnsafeMutableRawPointer, elementSize: Int) {
        switch elementSize {
        case 8: typed(src.assumingMemoryBound(to: UInt64.self), offset, strides, shape, dst.assumingMemoryBound(to: UInt64.self))
        case 4: typed(src.assumingMemoryBound(to: UInt32.self), offset, strides, shape, dst.assumingMemoryBound(to: UInt32.self))
        case 2: typed(src.assumingMemoryBound(to: UInt16.self), offset, strides, shape, dst.assumingMemoryBound(to: UInt16.self))
        default: typed(src.assumingMemoryBound(to: UInt8.self), offset, strides, shape, dst.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Merges axes that are contiguous in the source, dropping length-1 axes.
    static func collapse(_ shape: [Int], _ strides: [Int]) -> ([Int], [Int]) {
        var dims: [Int] = []
        var st: [Int] = []
        for (d, s) in zip(shape, strides) where d != 1 {
            if let last = dims.last, st.last! == s * d {
                dims[dims.count - 1] = last * d
                st[st.count - 1] = s
            } else {
                dims.append(d)
                st.append(s)
            }
        }
        if dims.isEmpty { return ([1], [0]) }
        return (dims, st)
    }

    static func typed<T>(_ src: UnsafeMutablePointer<T>, _ offset: Int, _ strides: [Int], _ shape: [Int],
                         _ dst: UnsafeMutablePointer<T>) {
        let (dims, st) = collapse(shape, strides)
        let inner = dims.last!, innerStride = st.last!
        let rows = Shapes.count(dims) / inner
        let s = SendPtr(src + offset), d = SendPtr(dst)
        Parallel.forEach(rows, costPerItem: inner) { r in
            for row in r {
                var rem = row
                var off = 0
                var axis = dims.count - 2
                while axis >= 0 {
                    off += (rem % dims[axis]) * st[axis]
                    rem /= dims[axis]
                    axis -= 1
                }
                let from = s.p + off, to = d.p + row * inner
                if innerStride == 1 {
                    to.update(from: from, count: inner)
                } else if innerStride == 0 {
                    to.update(repeating: from.pointee, count: inner)
                } else {
                    for i in 0..<inner { to[i] = from[i * innerStride] }
                }
            }
        }
    }
}
