import Foundation

/// The engine's memory: aligned blocks, a cache of freed blocks for reuse, and counters.
///
/// `activeBytes` counts bytes held by live buffers; `peakBytes` is its high-water mark since
/// the last `resetPeak()`. Freed blocks are cached by size (up to `cacheLimit` bytes) so that
/// training steps, which allocate the same sizes every step, do not pay for fresh pages.
public enum Allocator {
    nonisolated(unsafe) private static var state = State()
    private static let lock = NSLock()

    private struct State {
        var active = 0
        var peak = 0
        var cached = 0
        var cacheLimit = 1 << 30
        var free: [Int: [UnsafeMutableRawPointer]] = [:]
        /// Where new buffers go during ``Allocator/withHugePageRegion(reserving:_:)``.
        var region: HugePageRegion?
    }

    /// Bytes held by live tensor buffers.
    public static var activeBytes: Int { lock.withLock { state.active } }
    /// Highest `activeBytes` since start or the last `resetPeak()`.
    public static var peakBytes: Int { lock.withLock { state.peak } }
    /// Bytes kept in the reuse cache.
    public static var cachedBytes: Int { lock.withLock { state.cached } }

    /// Starts a new peak measurement from the current active bytes.
    public static func resetPeak() { lock.withLock { state.peak = state.active } }

    /// Maximum bytes kept for reuse; setting it trims the cache.
    public static var cacheLimit: Int {
        get { lock.withLock { state.cacheLimit } }
        set { lock.withLock { state.cacheLimit = newValue }; if newValue < cachedBytes { clearCache() } }
    }

    /// Returns every cached block to the system.
    public static func clearCache() {
        lock.withLock {
            for (_, list) in state.free { for p in list { free(p) } }
            state.free = [:]
            state.cached = 0
        }
    }

    /// Rounds sizes so that nearby sizes share cache slots: small blocks to 64 bytes, larger
    /// ones up to the next eighth of their power of two (at most 12.5% slack), so buffers
    /// whose sizes vary a little (sequence lengths from batch to batch) are reused.
    static func roundedSize(_ bytes: Int) -> Int {
        if bytes <= 4096 { return max(64, (bytes + 63) & ~63) }
        let power = 1 << (Int.bitWidth - (bytes - 1).leadingZeroBitCount)
        let step = max(4096, power / 8)
        return (bytes + step - 1) / step * step
    }

    /// Runs `body` with every new tensor buffer (from any thread) placed back to back in one
    /// ``HugePageRegion`` of `bytes` (buffers that do not fit are allocated as usual). For
    /// loading a model's weights, which live as long as the model: buffers freed early leave
    /// their space unused until the whole region goes.
    public static func withHugePageRegion<T>(reserving bytes: Int, _ body: () throws -> T) rethrows -> T {
        let region = HugePageRegion(reserving: bytes)
        let outer: HugePageRegion? = lock.withLock {
            defer { state.region = region }
            return state.region
        }
        defer {
            lock.withLock { state.region = outer }
            region?.trim()
        }
        return try body()
    }

    /// Stops counting a region block that is no longer used (its region frees it).
    static func forget(_ bytes: Int) { lock.withLock { state.active -= bytes } }

    /// A block of at least `bytes`, counted as active, and its size: from the current huge-page
    /// region if there is one with room (then with the region, which owns it, and exactly
    /// `bytes`), else from the cache of freed blocks or the system (rounded, see ``roundedSize(_:)``).
    static func allocate(_ bytes: Int) -> (UnsafeMutableRawPointer, Int, HugePageRegion?) {
        let size = roundedSize(bytes)
        // One lock for both sources: every tensor buffer of every step comes through here.
        let taken: (UnsafeMutableRawPointer, Int, HugePageRegion?)? = lock.withLock {
            if let region = state.region, let p = region.take(bytes) {
                state.active += bytes
                state.peak = max(state.peak, state.active)
                return (p, bytes, region)
            }
            state.active += size
            state.peak = max(state.peak, state.active)
            // Popped in place: copying the list out and back cost a copy of the whole list
            // (copy-on-write) per allocation.
            guard let p = state.free[size]?.popLast() else { return nil }
            state.cached -= size
            return (p, size, nil)
        }
        if let taken { return taken }
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, 64, size) == 0, let ptr = p else {
            fatalError("Graft: out of memory allocating \(size) bytes (active \(activeBytes))")
        }
        return (ptr, size, nil)
    }

    static func release(_ p: UnsafeMutableRawPointer, size: Int) {
        let keep: Bool = lock.withLock {
            state.active -= size
            guard state.cached + size <= state.cacheLimit else { return false }
            state.free[size, default: []].append(p)
            state.cached += size
            return true
        }
        if !keep { free(p) }
    }
}

/// A block of tensor memory. Shared by nodes that alias it (reshape, stopGradient).
public final class Buffer: @unchecked Sendable {
    /// Start of the data, 64-byte aligned.
    public let data: UnsafeMutableRawPointer
    /// Requested size in bytes.
    public let byteCount: Int
    private let capacity: Int
    private let owner: AnyObject?
    /// Something a kernel derived once from the contents and keeps as long as the buffer (the
    /// interleaved copy of a frozen weight, `InterleavedWeight`): only for buffers that never
    /// change, set and read under its maker's lock.
    var derived: AnyObject?

    /// A fresh, uninitialised block of `byteCount` bytes.
    public init(byteCount: Int) {
        self.byteCount = byteCount
        (data, capacity, owner) = Allocator.allocate(max(byteCount, 1))
    }

    /// Wraps memory owned by someone else (a memory-mapped file); `owner` is kept alive.
    public init(borrowing data: UnsafeMutableRawPointer, byteCount: Int, owner: AnyObject) {
        self.data = data
        self.byteCount = byteCount
        capacity = 0
        self.owner = owner
    }

    deinit {
        // Own block: back to the allocator. In a huge-page region: uncounted (the region frees
        // it). Borrowed (capacity 0): its owner's business.
        if owner == nil { Allocator.release(data, size: capacity) } else if capacity > 0 { Allocator.forget(capacity) }
    }

    @inline(__always) func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        data.assumingMemoryBound(to: T.self)
    }
}
