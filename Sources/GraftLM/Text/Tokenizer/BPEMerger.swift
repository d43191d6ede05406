/// The byte-pair merge loop over one pre-tokenized piece.
///
/// Symbols start as one token per byte (through the byte-level alphabet); the adjacent pair
/// with the lowest merge rank is merged first, ties going to the leftmost pair, until no
/// adjacent pair has a rank. A min-heap of candidate pairs keyed by (rank, left position)
/// keeps this O(n log n) even for very long pieces.
struct BPEMerger: Sendable {
    /// `(left id << 32 | right id)` → `(rank << 32 | merged id)`.
    let merges: [UInt64: UInt64]
    /// The token id of each byte's single-symbol token, or -1 when the vocabulary lacks it.
    let byteTokenIDs: [Int32]
    /// The id used for a byte without a token, or nil to drop such bytes.
    let unknownID: Int32?

    @inline(__always)
    static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Reusable working memory for ``merge(_:into:scratch:)``.
    struct Scratch {
        var ids: [Int32] = []
        var next: [Int32] = []
        var previous: [Int32] = []
        var heap: [UInt64] = []
    }

    /// Appends the token ids of the piece with UTF-8 `bytes` to `output`.
    func merge(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [Int32], scratch: inout Scratch) {
        scratch.ids.removeAll(keepingCapacity: true)
        for byte in bytes {
            let id = byteTokenIDs[Int(byte)]
            if id >= 0 {
                scratch.ids.append(id)
            } else if let unknownID {
                scratch.ids.append(unknownID)
            }
        }
        let count = scratch.ids.count
        if count < 2 {
            output.append(contentsOf: scratch.ids)
            return
        }
        scratch.next.removeAll(keepingCapacity: true)
        scratch.previous.removeAll(keepingCapacity: true)
        for index in 0..<count {
            scratch.next.append(index + 1 < count ? Int32(index + 1) : -1)
            scratch.previous.append(Int32(index - 1))
        }
        scratch.heap.removeAll(keepingCapacity: true)
        for index in 0..<(count - 1) {
            if let value = merges[Self.pairKey(scratch.ids[index], scratch.ids[index + 1])] {
                Self.heapPush(&scratch.heap, (value & 0xFFFF_FFFF_0000_0000) | UInt64(index))
            }
        }
        while let top = Self.heapPop(&scratch.heap) {
            let rank = top >> 32
            let left = Int(top & 0xFFFF_FFFF)
            // Skip stale candidates: the left symbol was absorbed, or the pair changed.
            guard scratch.ids[left] >= 0 else { continue }
            let right = Int(scratch.next[left])
            guard right >= 0, let value = merges[Self.pairKey(scratch.ids[left], scratch.ids[right])],
                  value >> 32 == rank else { continue }
            scratch.ids[left] = Int32(truncatingIfNeeded: value & 0xFFFF_FFFF)
            scratch.ids[right] = -1
            let afterRight = scratch.next[right]
            scratch.next[left] = afterRight
            if afterRight >= 0 { scratch.previous[Int(afterRight)] = Int32(left) }
            let before = Int(scratch.previous[left])
            if before >= 0, let candidate = merges[Self.pairKey(scratch.ids[before], scratch.ids[left])] {
                Self.heapPush(&scratch.heap, (candidate & 0xFFFF_FFFF_0000_0000) | UInt64(before))
            }
            if afterRight >= 0,
               let candidate = merges[Self.pairKey(scratch.ids[left], scratch.ids[Int(afterRight)])] {
                Self.heapPush(&scratch.heap, (candidate & 0xFFFF_FFFF_0000_0000) | UInt64(left))
            }
        }
        var index = 0
        while index >= 0 {
            output.append(scratch.ids[index])
            index = Int(scratch.next[index])
        }
    }

    private static func heapPush(_ heap: inout [UInt64], _ value: UInt64) {
        heap.append(value)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent] <= heap[child] { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private static func heapPop(_ heap: inout [UInt64]) -> UInt64? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return top }
        heap[0] = last
        var parent = 0
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            if left >= count { break }
            var smallest = left
            if left + 1 < count && heap[left + 1] < heap[left] { smallest = left + 1 }
            if heap[parent] <= heap[smallest] { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
