import Foundation
import Synchronization

/// Persistent worker threads for `Parallel.forEach`. Decoding runs hundreds of short kernels
/// per token; waking sleeping threads for each one cost ~18% of decode time (measured with
/// `perf` on SmolLM2: scheduler functions), so after a job the workers keep polling for the
/// next one for a short while (`spinBudget` polls, ~0.1 ms: 150K decoded 5% faster than 40K in
/// interleaved runs, tuned models 9%) before they sleep on a condition.
///
/// One job runs at a time (kernels run one after another). The calling thread and the workers
/// claim the job's chunks from a shared counter, and the caller waits only for chunks that were
/// claimed: a worker that wakes late (asleep, or descheduled by the machine's other work) finds
/// the chunks taken and holds nobody up.
final class WorkerPool: @unchecked Sendable {
    /// Polls of the job counter before a worker sleeps.
    static let spinBudget = 150_000

    let workerCount: Int
    /// Bumped once per job: wakes the workers.
    private let generation = Atomic<Int>(0)
    /// The running job in one word, so a worker can only claim chunks of the job it read: its
    /// generation (bits 40–63), its chunk count (bits 20–39) and its next unclaimed chunk (bits 0–19).
    private let claims = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let condition = NSCondition()
    private var sleepers = 0
    // Written by the caller before the job is published (release); read by a worker only after
    // it claimed a chunk of that job, which keeps the caller waiting until the chunk is done.
    private var job: ((Int) -> Void)?

    /// Whether a job is running (a kernel inside it must not start another).
    var isBusy: Bool { busy.load(ordering: .relaxed) }

    /// Starts `workerCount` threads (they live as long as the process).
    init(workerCount: Int) {
        self.workerCount = workerCount
        for index in 0..<workerCount {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "graft-worker-\(index)"
            thread.start()
        }
    }

    /// Runs `body(c)` for every chunk `c` in `0..<chunks`, on the calling thread and the
    /// workers, and returns when all are done. A call made while another job runs (from inside
    /// a chunk, or from a second thread) runs its chunks in turn on its own thread.
    func run(chunks: Int, _ body: (Int) -> Void) {
        precondition(chunks < 1 << 20, "WorkerPool: \(chunks) chunks (at most 2^20 - 1)")
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for c in 0..<chunks { body(c) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            job = body
            let current = generation.load(ordering: .relaxed) &+ 1
            completed.store(0, ordering: .relaxed)
            claims.store(Self.tag(current) | chunks << 20, ordering: .releasing)
            generation.store(current, ordering: .releasing)
            condition.lock()
            if sleepers > 0 { condition.broadcast() }
            condition.unlock()
            runChunks(of: current, body)
            var polls = 0
            while completed.load(ordering: .acquiring) < chunks {
                polls += 1
                if polls > Self.spinBudget { sched_yield() }
            }
            job = nil
        }
    }

    private func work() {
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
            runChunks(of: current, nil)
        }
    }

    /// Claims and runs chunks of job `current` until none is left (`body` nil: a worker, which
    /// reads the job only once it holds a chunk of it).
    @inline(__always)
    private func runChunks(of current: Int, _ body: ((Int) -> Void)?) {
        let tag = Self.tag(current)
        var state = claims.load(ordering: .acquiring)
        while true {
            let chunk = state & 0xF_FFFF, count = (state >> 20) & 0xF_FFFF
            guard state & ~0xFF_FFFF_FFFF == tag, chunk < count else { return }
            let (exchanged, original) = claims.compareExchange(expected: state, desired: state &+ 1,
                                                               ordering: .acquiringAndReleasing)
            if !exchanged { state = original; continue }
            if let body { body(chunk) } else if let job { job(chunk) }
            completed.add(1, ordering: .releasing)
            state = claims.load(ordering: .acquiring)
        }
    }

    /// A generation's bits in `claims`.
    @inline(__always)
    private static func tag(_ generation: Int) -> Int { (generation & 0x7F_FFFF) << 40 }
}
