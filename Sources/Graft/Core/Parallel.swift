import CBLAS
import Foundation

/// Threading for kernels. Kernels run one at a time; each uses every core, either through
/// `Parallel.forEach` (Graft's persistent `WorkerPool`) or through OpenBLAS's own threads, so
/// the two never oversubscribe.
public enum Parallel {
    /// Worker count used by Graft's kernels and by OpenBLAS (default: active cores, or
    /// `GRAFT_NUM_THREADS`).
    nonisolated(unsafe) public private(set) static var threads: Int = {
        let env = ProcessInfo.processInfo.environment["GRAFT_NUM_THREADS"].flatMap(Int.init)
        let n = max(1, env ?? ProcessInfo.processInfo.activeProcessorCount)
        openblas_set_num_threads(Int32(n))
        return n
    }()

    /// Sets the worker count for Graft's kernels and OpenBLAS together.
    public static func setThreads(_ n: Int) {
        threads = max(1, n)
        openblas_set_num_threads(Int32(threads))
    }

    /// The persistent workers (`threads - 1` of them; the caller is the last one). A new count
    /// gets a new pool; the old one's threads sleep for good.
    nonisolated(unsafe) private static var currentPool: WorkerPool?
    private static let poolLock = NSLock()
    static var pool: WorkerPool {
        poolLock.withLock {
            if let p = currentPool, p.workerCount == threads - 1 { return p }
            let p = WorkerPool(workerCount: threads - 1)
            currentPool = p
            return p
        }
    }

    /// Ensures OpenBLAS has been configured before the first sgemm.
    @inline(__always) static func prepare() { _ = threads }

    /// Splits `0..<count` into at most `threads` contiguous ranges and runs `body` on each, in
    /// parallel when the work is large enough (`count * costPerItem` above ~32K). Ranges are
    /// disjoint; which thread runs which is not fixed.
    @inline(__always)
    static func forEach(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = threads
        if workers == 1 || count < 2 || count * costPerItem < 32_768 {
            body(0..<count)
            return
        }
        // One chunk per thread, claimed in turn (a worker that starts late leaves its chunk to a
        // free thread); four per thread were slower in decoding (~90 vs ~97 tok/s).
        let chunks = min(workers, count)
        pool.run(chunks: chunks) { c in body(count * c / chunks..<count * (c + 1) / chunks) }
    }
}
