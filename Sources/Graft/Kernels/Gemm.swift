import CBLAS

/// Row-major GEMM for the kernel element types: `C = A·B` with optional transposes.
enum Gemm {
    @inline(__always)
    static func run<T: KernelFloat>(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
                                    _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
                                    _ c: UnsafeMutablePointer<T>, ldc: Int, beta: T = 0) {
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

    /// Runs `body` over `count` independent items on Graft's workers with OpenBLAS held to one
    /// thread, so small GEMMs per item do not oversubscribe the cores.
    static func perItem(_ count: Int, cost: Int, _ body: (Range<Int>) -> Void) {
        let threads = Parallel.threads
        if threads == 1 || count < 2 || count * cost < 65_536 {
            body(0..<count)
            return
        }
        openblas_set_num_threads(1)
        Parallel.forEach(count, costPerItem: cost, body)
        openblas_set_num_threads(Int32(threads))
    }
}
