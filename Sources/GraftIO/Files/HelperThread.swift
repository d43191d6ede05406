import Foundation

/// Runs a piece of file work on a short-lived helper thread and waits for its result.
///
/// glibc's `malloc` serves each thread from an arena of its own. libhdf5 makes thousands of
/// small allocations while it reads or writes a checkpoint (reading the quickstart's 16 MB one
/// takes ~3,600 `pread` calls and their buffers); made on the main thread, they scatter that
/// arena's free chunks, and the graph nodes and arrays that every later step allocates there
/// lose their locality. `graft generate` decoded 3–4% slower after merely reading a
/// checkpoint (one thread, eight alternating runs of 512 tokens: 0.961 of the base's tokens per
/// second; the same read on a helper thread: 0.996). The helper's arena is reused by the next
/// helper once it exits.
public enum HelperThread {
    /// Stack size of the helper (libhdf5 recurses through its B-trees; 8 MB like the main thread's).
    static let stackSize = 8 << 20

    /// `body`'s result (or error), computed on a new thread while the caller waits.
    public static func run<T>(_ body: @escaping () throws -> T) throws -> T {
        let outcome = Outcome(body)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            outcome.value = Result { try outcome.body() }
            finished.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        finished.wait()
        return try outcome.value!.get()
    }

    /// The work and its result, handed between the caller and the helper (the thread's start
    /// and the semaphore order the accesses).
    private final class Outcome<T>: @unchecked Sendable {
        let body: () throws -> T
        var value: Result<T, Error>?
        init(_ body: @escaping () throws -> T) { self.body = body }
    }
}
