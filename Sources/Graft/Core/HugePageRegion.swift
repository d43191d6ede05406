import Foundation

/// One block of memory for tensors that live as long as a model (its frozen weights), laid out
/// back to back in the order they are created and backed by transparent huge pages (2 MB)
/// where the kernel allows them (`madvise(MADV_HUGEPAGE)`: in the THP mode `madvise`, this
/// machine's, no allocation that does not ask gets them).
///
/// Decoding streams every weight once per token. In ordinary 4 KB pages that stream crosses
/// ~25,000 pages per token for SmolLM2-135M, each a translation-cache miss and a stop for the
/// hardware prefetcher, which does not cross page boundaries; in 2 MB pages it crosses ~50
/// (measured: +4–7% decoding tok/s, alternating runs with and without huge pages, two threads).
///
/// Address space is reserved generously and not committed (`MAP_NORESERVE`): only the pages
/// tensors are written to take memory; ``trim()`` returns the untouched tail. The region is
/// unmapped when the last buffer in it is gone (each buffer holds it).
final class HugePageRegion: @unchecked Sendable {
    static let hugePageSize = 2 << 20

    /// The mapping as made, and its 2 MB-aligned part that buffers are cut from.
    private let mapping: UnsafeMutableRawPointer
    private var mappingSize: Int
    private let start: UnsafeMutableRawPointer
    private var capacity: Int
    /// Bytes handed out so far (from `start`).
    private(set) var used = 0

    /// Reserves at least `bytes` of address space, or nil when the system refuses.
    init?(reserving bytes: Int) {
        let huge = Self.hugePageSize
        capacity = (Swift.max(bytes, 1) + huge - 1) / huge * huge
        mappingSize = capacity + huge
        let mapped = mmap(nil, mappingSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let base = mapped, base != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        mapping = base
        start = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: base) + huge - 1) & ~(huge - 1))!
        // A hint: where THP is off the region simply keeps 4 KB pages.
        _ = madvise(start, capacity, MADV_HUGEPAGE)
    }

    /// `bytes` (64-byte aligned) from the region, or nil when it is full.
    func take(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let offset = (used + 63) & ~63
        guard offset + bytes <= capacity else { return nil }
        used = offset + bytes
        return start + offset
    }

    /// Returns the address space after the last 2 MB page in use; nothing more can be taken.
    func trim() {
        let huge = Self.hugePageSize
        let keep = (used + huge - 1) / huge * huge
        let end = start + keep, mappingEnd = mapping + mappingSize
        if end < mappingEnd {
            munmap(end, mappingEnd - end)
            mappingSize = end - mapping
        }
        capacity = used
    }

    deinit { munmap(mapping, mappingSize) }
}
