import Foundation

/// A bounded, thread-safe memo of pre-tokenized piece (UTF-8 bytes) → token ids.
///
/// Pieces repeat heavily in natural text, so most pieces skip the merge loop. When the cache
/// reaches its capacity it is emptied and refilled, which keeps memory bounded on text with
/// endless distinct pieces.
final class PieceCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [[UInt8]: [Int32]] = [:]
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Appends the cached ids of `piece` to `output` and returns true, or returns false.
    @inline(__always)
    func appendCached(_ piece: [UInt8], to output: inout [Int32]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let ids = entries[piece] else { return false }
        output.append(contentsOf: ids)
        return true
    }

    func insert(_ piece: [UInt8], ids: ArraySlice<Int32>) {
        guard capacity > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[piece] = Array(ids)
    }
}
