import Graft

/// The number of threads Graft's kernels and OpenBLAS use.
public enum ComputeThreads {
    /// Current thread count (default: active cores, or `GRAFT_NUM_THREADS`).
    public static var count: Int { Parallel.threads }

    /// Sets the thread count for kernels and OpenBLAS together.
    public static func set(_ n: Int) { Parallel.setThreads(n) }
}
