import Foundation
import Synchronization

/// Persistent worker threads for `Parallel.forEach`. Decoding runs hundreds of short kernels
/// per token; waking sleeping threads for each one cost ~18% of decode time (measured with
/// `perf` on SmolLM2: scheduler functions), so after a job the workers keep polling for the
/// next one for a short while (`spinBudget` polls, ~50 µs) before they sleep on a condition.
///
/// One job runs at a time (kernels run one after another). The calling thread and the workers
/// take the job's chunks in turn from a shared counter, so a thread that is slowed down (a busy
/// neighbour on the machine) leaves its remaining chunks to the others.
final class WorkerPool: @unchecked Sendable {
    /// Polls of the job counter before a worker sleeps.
    static let spinBudget = 40_000

    let workerCount: Int
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let nextChunk = Atomic<Int>(0)
    private let condition = NSCondition()
    private var sleepers = 0
    // Written by the caller before `generation` is bumped (release), read by workers after
    // they observe the bump (acquire).
    private var job: ((Int) -> Void)?
    private var chunks = 0

    /// Whether a job is running (a kernel inside it must not start another).
    var isBusy: Bool { busy.load(ordering: .relaxed) }

    /// Starts `workerCount` threads (they live as long as the process).
    init(workerCount: Int) {
        self.workerCount = workerCount
        for index in 0..<workerCount {
            let thread = Thread { [unowned self] in self.work(index: index) }
            thread.name = "graft-worker-\(index)"
            thread.start()
        }
    }

    /// Runs `body(c)` for every chunk `c` in `0..<chunks`, on the calling thread and the
    /// workers, and returns when all are done. A call made while another job runs (from inside
    /// a chunk, or from a second thread) runs its chunks in turn on its own thread.
    func run(chunks: Int, _ body: (Int) -> Void) {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for c in 0..<chunks { body(c) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            job = body
            self.chunks = chunks
            nextChunk.store(0, ordering: .relaxed)
            pending.store(workerCount, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            condition.lock()
            if sleepers > 0 { condition.broadcast() }
            condition.unlock()
            takeChunks(body)
            var polls = 0
            while pending.load(ordering: .acquiring) > 0 {
                polls += 1
                if polls > Self.spinBudget { sched_yield() }
            }
            job = nil
        }
    }

    private func work(index: Int) {
        var seen = 0
        while true {
            var polls = 0
            var current = generation.load(ordering: .acquiring)
            while current == seen {
                polls += 1
                if polls > Self.spinBudget {
                    condition.lock()
                    current = generation.load(ordering: .acquiring)
                    while current == seen {
                        sleepers += 1
                        condition.wait()
                        sleepers -= 1
                        current = generation.load(ordering: .acquiring)
                    }
                    condition.unlock()
                    break
                }
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            if let job { takeChunks(job) }
            pending.subtract(1, ordering: .releasing)
        }
    }

    /// Runs chunks of the current job until none is left.
    @inline(__always)
    private func takeChunks(_ body: (Int) -> Void) {
        while true {
            let c = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
            if c >= chunks { return }
            body(c)
        }
    }
}
