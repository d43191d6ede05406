import CBLAS
import Dispatch
import Foundation

/// Threading for kernels. Kernels run one at a time; each uses every core, either through
/// `Parallel.forEach` or through OpenBLAS's own threads, so the two never oversubscribe.
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

    /// Ensures OpenBLAS has been configured before the first sgemm.
    @inline(__always) static func prepare() { _ = threads }

    /// Splits `0..<count` into at most `threads` contiguous ranges and runs `body` on each,
    /// in parallel when the work is large enough (`count * costPerItem` above ~32K).
    @inline(__always)
    static func forEach(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = threads
        if workers == 1 || count < 2 || count * costPerItem < 32_768 {
            body(0..<count)
            return
        }
        let chunks = min(workers, count)
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                work.value(count * c / chunks..<count * (c + 1) / chunks)
            }
        }
    }
}

/// Carries a value whose thread-safety the kernel guarantees (disjoint writes) into workers.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
