/// Batched matrix product with NumPy broadcasting of the batch axes:
/// `[..., M, K] · [..., K, N] → [..., M, N]`, with optional transposes of the last two axes of
/// either operand (so `x · Wᵀ` needs no copy), through `Gemm` (OpenBLAS sgemm/dgemm, or gemv
/// for a single row or column).
struct Matmul: Primitive {
    let transposeA: Bool
    let transposeB: Bool
    var name: String { "matmul" }

    /// (rows, cols) of an operand after its optional transpose.
    static func dims(_ shape: [Int], _ t: Bool) -> (Int, Int) {
        let r = shape[shape.count - 2], c = shape[shape.count - 1]
        return t ? (c, r) : (r, c)
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let a = inputs[0], b = inputs[1]
        let out = output.allocate()
        let (m, k) = Matmul.dims(a.shape, transposeA)
        let n = Matmul.dims(b.shape, transposeB).1
        let batchShape = Array(output.shape.dropLast(2))
        let batch = Shapes.count(batchShape)
        if m == 0 || n == 0 || batch == 0 { return out }
        let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
        let aStrides = Shapes.broadcastStrides(aBatch, to: batchShape)
        let bStrides = Shapes.broadcastStrides(bBatch, to: batchShape)
        let lda = a.shape.last!, ldb = b.shape.last!
        var rows = m, batches = batch
        // B shared by every batch and A not transposed: one tall GEMM instead of many.
        if Shapes.count(bBatch) == 1 && !transposeA {
            rows = m * batch
            batches = 1
        }
        let bStep = batchShape.indices
        for i in 0..<batches {
            var rem = i, offA = 0, offB = 0
            for d in bStep.reversed() {
                let idx = rem % batchShape[d]
                rem /= batchShape[d]
                offA += idx * aStrides[d]
                offB += idx * bStrides[d]
            }
            offA *= m * k
            offB *= k * n
            let offC = i * m * n
            if k == 0 {
                (out.data + offC * output.dtype.size).initializeMemory(as: UInt8.self, repeating: 0,
                                                                     count: rows * n * output.dtype.size)
                continue
            }
            switch output.dtype {
            case .float32:
                Gemm.run(transposeA, transposeB, m: rows, n: n, k: k, a.pointer(Float.self) + offA, lda: lda,
                         b.pointer(Float.self) + offB, ldb: ldb, out.pointer(Float.self) + offC, ldc: n)
            default:
                Gemm.run(transposeA, transposeB, m: rows, n: n, k: k, a.pointer(Double.self) + offA, lda: lda,
                         b.pointer(Double.self) + offB, ldb: ldb, out.pointer(Double.self) + offC, ldc: n)
            }
        }
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        let a = inputs[0], b = inputs[1]
        var ga: Tensor?, gb: Tensor?
        if needs[0] {
            // dA = g·Bᵀ (or its transpose when A was used transposed).
            ga = transposeA ? Tensor.matmul(b, g, transposeA: transposeB, transposeB: true)
                            : Tensor.matmul(g, b, transposeA: false, transposeB: !transposeB)
            ga = ga!.sumTo(a.shape)
        }
        if needs[1] {
            // dB = Aᵀ·g (or its transpose when B was used transposed).
            gb = transposeB ? Tensor.matmul(g, a, transposeA: true, transposeB: transposeA)
                            : Tensor.matmul(a, g, transposeA: !transposeA, transposeB: false)
            gb = gb!.sumTo(b.shape)
        }
        return [ga, gb]
    }
}

extension Tensor {
    /// Matrix product with broadcast batch axes; 1-D operands are promoted as in NumPy.
    /// `transposeA`/`transposeB` use the operand's last two axes swapped, without a copy.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        guard a.dtype == b.dtype, a.dtype.isFloatingCompute else {
            return failed(GraftError("matmul", "needs two float32 or two float64 operands, got \(a.dtype) \(a.shape) and \(b.dtype) \(b.shape)"))
        }
        if a.ndim == 1 { return matmul(a.reshaped([1, a.size]), b, transposeB: transposeB).squeezed([-2]) }
        if b.ndim == 1 { return matmul(a, b.reshaped([b.size, 1]), transposeA: transposeA).squeezed([-1]) }
        guard a.ndim >= 2, b.ndim >= 2 else {
            return failed(GraftError("matmul", "scalar operands \(a.shape), \(b.shape)"))
        }
        let (m, k) = Matmul.dims(a.shape, transposeA)
        let (k2, n) = Matmul.dims(b.shape, transposeB)
        guard k == k2, let batch = Shapes.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) else {
            return failed(GraftError("matmul", "shapes \(a.shape)\(transposeA ? "ᵀ" : "") and \(b.shape)\(transposeB ? "ᵀ" : "") do not match (inner \(k) vs \(k2))"))
        }
        // A's batch axes must be its own for the kernel's addressing: broadcast A if B has more.
        var a = a
        let aBatch = Array(a.shape.dropLast(2))
        if aBatch != batch && Shapes.count(Array(b.shape.dropLast(2))) != 1 {
            a = a.broadcast(to: batch + Array(a.shape.suffix(2)))
        }
        return make(Matmul(transposeA: transposeA, transposeB: transposeB), [a, b], shape: batch + [m, n], dtype: a.dtype)
    }

    /// `self · other`.
    public func matmul(_ other: Tensor) -> Tensor { Tensor.matmul(self, other) }
}
