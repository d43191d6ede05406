import Foundation

/// A bounded, thread-safe memo of pre-tokenized piece (UTF-8 bytes) → token ids.
///
/// Pieces repeat heavily in natural text, so most pieces skip the merge loop. Keys and ids
/// live in two flat arenas and an open-addressing table indexes them, so a lookup hashes the
/// piece's bytes in place and allocates nothing. When the table is half full it is emptied
/// and refilled, which keeps memory bounded on text with endless distinct pieces.
final class PieceCache: @unchecked Sendable {
    private struct Slot {
        var hash: UInt64 = 0
        var keyStart: Int32 = -1  // -1: empty
        var keyCount: Int32 = 0
        var idsStart: Int32 = 0
        var idsCount: Int32 = 0
    }

    private let lock = NSLock()
    private var slots: [Slot]
    private var keyBytes: [UInt8] = []
    private var idArena: [Int32] = []
    private var count = 0
    private let maxEntries: Int
    /// Pieces longer than this are not cached (they rarely repeat and would bloat the arena).
    private let maxKeyLength = 256

    /// - Parameter capacity: the most pieces kept at once (0 disables caching).
    init(capacity: Int) {
        maxEntries = capacity
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = capacity > 0 ? [Slot](repeating: Slot(), count: size) : []
    }

    /// A 64-bit hash of the bytes, reading eight at a time.
    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(bytes.count)
        guard let base = bytes.baseAddress else { return h }
        let raw = UnsafeRawPointer(base)
        var index = 0
        while index + 8 <= bytes.count {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            h = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        h = (h ^ tail) &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 31)
    }

    /// Finds the slot of `bytes` (found) or the empty slot where it would go.
    @inline(__always)
    private func probe(_ bytes: UnsafeBufferPointer<UInt8>, hash: UInt64) -> (index: Int, found: Bool) {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[index]
            if slot.keyStart < 0 { return (index, false) }
            if slot.hash == hash && Int(slot.keyCount) == bytes.count {
                let equal = keyBytes.withUnsafeBufferPointer { keys in
                    memcmp(keys.baseAddress! + Int(slot.keyStart), bytes.baseAddress!, bytes.count) == 0
                }
                if equal { return (index, true) }
            }
            index = (index + 1) & mask
        }
    }

    /// Appends the cached ids of `piece` to `output` and returns true, or returns false.
    func appendCached(_ piece: UnsafeBufferPointer<UInt8>, to output: inout [Int32]) -> Bool {
        guard maxEntries > 0, !piece.isEmpty, piece.count <= maxKeyLength else { return false }
        let hash = Self.hash(piece)
        lock.lock()
        defer { lock.unlock() }
        let (index, found) = probe(piece, hash: hash)
        guard found else { return false }
        let slot = slots[index]
        let start = Int(slot.idsStart)
        output.append(contentsOf: idArena[start..<(start + Int(slot.idsCount))])
        return true
    }

    /// Remembers the ids of `piece`.
    func insert(_ piece: UnsafeBufferPointer<UInt8>, ids: ArraySlice<Int32>) {
        guard maxEntries > 0, !piece.isEmpty, piece.count <= maxKeyLength else { return }
        let hash = Self.hash(piece)
        lock.lock()
        defer { lock.unlock() }
        if count >= maxEntries || keyBytes.count > Int(Int32.max) / 2 || idArena.count > Int(Int32.max) / 2 {
            for index in slots.indices { slots[index].keyStart = -1 }
            keyBytes.removeAll(keepingCapacity: true)
            idArena.removeAll(keepingCapacity: true)
            count = 0
        }
        let (index, found) = probe(piece, hash: hash)
        guard !found else { return }
        slots[index] = Slot(hash: hash, keyStart: Int32(keyBytes.count), keyCount: Int32(piece.count),
                            idsStart: Int32(idArena.count), idsCount: Int32(ids.count))
        keyBytes.append(contentsOf: piece)
        idArena.append(contentsOf: ids)
        count += 1
    }
}
