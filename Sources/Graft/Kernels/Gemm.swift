import CBLAS

/// Row-major GEMM for the kernel element types: `C = A·B` with optional transposes.
enum Gemm {
    @inline(__always)
    static func run<T: KernelFloat>(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
                                    _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
                                    _ c: UnsafeMutablePointer<T>, ldc: Int, beta: T = 0) {
        if k > 0 && (m == 1 || n == 1) {
            return vector(transA, transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, c, ldc: ldc, beta: beta)
        }
        let ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans
        if T.self == Float.self {
            cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), 1,
                        UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), Int32(lda),
                        UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), Int32(ldb), Float(beta),
                        UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), Int32(ldc))
        } else {
            cblas_dgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), 1,
                        UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), Int32(lda),
                        UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), Int32(ldb), Double(beta),
                        UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), Int32(ldc))
        }
    }

    /// A product with one row (`m = 1`) or one column (`n = 1`) as a matrix-vector product:
    /// OpenBLAS's sgemm repacks the whole matrix for a single row (several times slower there).
    @inline(__always)
    static func vector<T: KernelFloat>(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
                                       _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
                                       _ c: UnsafeMutablePointer<T>, ldc: Int, beta: T) {
        // m = 1: c[n] = op(B)ᵀ·a, the matrix is B. n = 1: c[m] (stride ldc) = op(A)·b, the matrix is A.
        let rowCase = m == 1
        let matrix = rowCase ? b : a, ld = rowCase ? ldb : lda
        let vec = rowCase ? a : b
        let vecStride = rowCase ? (transA ? lda : 1) : (transB ? 1 : ldb)
        let outStride = rowCase ? 1 : ldc
        // Row-major matrix [rows, cols] multiplied as y = M·x (NoTrans) or y = Mᵀ·x (Trans).
        let (rows, cols, trans): (Int, Int, Bool) = rowCase
            ? (transB ? (n, k, false) : (k, n, true))
            : (transA ? (k, m, true) : (m, k, false))
        let op = trans ? CblasTrans : CblasNoTrans
        // Split the outputs over Graft's workers (OpenBLAS on one thread inside each part).
        let outputs = trans ? cols : rows, inner = trans ? rows : cols
        let ms = SendPtr(UnsafeMutablePointer(mutating: matrix)), vs = SendPtr(UnsafeMutablePointer(mutating: vec)), cs = SendPtr(c)
        perItem(outputs, cost: inner) { range in
            let part = range.count, start = range.lowerBound
            let sub = UnsafePointer(ms.p + (trans ? start : start * ld)), out = cs.p + start * outStride
            let (r, k) = trans ? (rows, part) : (part, cols)
            if T.self == Float.self {
                cblas_sgemv(CblasRowMajor, op, Int32(r), Int32(k), 1,
                            UnsafeRawPointer(sub).assumingMemoryBound(to: Float.self), Int32(ld),
                            UnsafeRawPointer(vs.p).assumingMemoryBound(to: Float.self), Int32(vecStride), Float(beta),
                            UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self), Int32(outStride))
            } else {
                cblas_dgemv(CblasRowMajor, op, Int32(r), Int32(k), 1,
                            UnsafeRawPointer(sub).assumingMemoryBound(to: Double.self), Int32(ld),
                            UnsafeRawPointer(vs.p).assumingMemoryBound(to: Double.self), Int32(vecStride), Double(beta),
                            UnsafeMutableRawPointer(out).assumingMemoryBound(to: Double.self), Int32(outStride))
            }
        }
    }

    /// Runs `body` over `count` independent items on Graft's workers with OpenBLAS held to one
    /// thread, so small GEMMs per item do not oversubscribe the cores. Inside another parallel
    /// job, or below ~64K of work, it runs in turn on the calling thread.
    static func perItem(_ count: Int, cost: Int, _ body: (Range<Int>) -> Void) {
        let threads = Parallel.threads
        if threads == 1 || Parallel.pool.isBusy {
            body(0..<count)
            return
        }
        // Small work runs on this thread alone: OpenBLAS would otherwise wake its own threads
        // for it, next to Graft's polling workers.
        openblas_set_num_threads(1)
        if count < 2 || count * cost < 65_536 { body(0..<count) } else { Parallel.forEach(count, costPerItem: cost, body) }
        openblas_set_num_threads(Int32(threads))
    }
}
