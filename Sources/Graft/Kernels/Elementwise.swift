/// Iteration over broadcast operands: the output's shape with adjacent axes merged where every
/// operand is contiguous across them, so the inner loop is as long as possible.
struct BroadcastLayout {
    /// Merged extents; the last one is the inner loop.
    var dims: [Int]
    /// Per operand, the element stride on each merged axis (0 where broadcast).
    var strides: [[Int]]

    init(output: [Int], operands: [[Int]]) {
        var dims: [Int] = []
        var strides: [[Int]] = operands.map { _ in [] }
        let opStrides = operands.map { Shapes.broadcastStrides($0, to: output) }
        for axis in 0..<output.count where output[axis] != 1 {
            let extent = output[axis]
            if let last = dims.last,
               opStrides.indices.allSatisfy({ strides[$0].last! == opStrides[$0][axis] * extent }) {
                dims[dims.count - 1] = last * extent
                for o in opStrides.indices { strides[o][strides[o].count - 1] = opStrides[o][axis] }
            } else {
                dims.append(extent)
                for o in opStrides.indices { strides[o].append(opStrides[o][axis]) }
            }
        }
        if dims.isEmpty {
            dims = [1]
            strides = operands.map { _ in [0] }
        }
        self.dims = dims
        self.strides = strides
    }

    var inner: Int { dims[dims.count - 1] }
    var outerCount: Int { Shapes.count(Array(dims.dropLast())) }

    /// Offset of operand `o` at the start of outer row `row`.
    @inline(__always) func offset(_ o: Int, row: Int) -> Int {
        var rem = row
        var off = 0
        var axis = dims.count - 2
        while axis >= 0 {
            let d = dims[axis]
            off += (rem % d) * strides[o][axis]
            rem /= d
            axis -= 1
        }
        return off
    }

    /// Calls `body(outStart, offsets, count)` for contiguous output runs, split across cores.
    @inline(__always)
    func forEachRun(cost: Int, _ body: (_ out: Int, _ a: Int, _ b: Int, _ c: Int, _ n: Int) -> Void) {
        let inner = self.inner
        let rows = outerCount
        let ops = strides.count
        if rows == 1 {
            let sa = ops > 0 ? strides[0].last! : 0
            let sb = ops > 1 ? strides[1].last! : 0
            let sc = ops > 2 ? strides[2].last! : 0
            Parallel.forEach(inner, costPerItem: cost) { r in
                body(r.lowerBound, r.lowerBound * sa, r.lowerBound * sb, r.lowerBound * sc, r.count)
            }
            return
        }
        Parallel.forEach(rows, costPerItem: inner * cost) { r in
            for row in r {
                body(row * inner, ops > 0 ? offset(0, row: row) : 0, ops > 1 ? offset(1, row: row) : 0,
                     ops > 2 ? offset(2, row: row) : 0, inner)
            }
        }
    }
}
