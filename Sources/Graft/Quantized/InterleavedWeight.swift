import CGraftKernels
import Foundation

/// A packed weight copied for the few-row products that run on blocks of 16 interleaved rows
/// (`graft_interleave_rows`): 32-bit lanes each holding a packed word of one row, and per block
/// and group the 16 rows' scales and biases. One `vpdpbusd` (8-bit activations) or
/// multiply-add (float32 ones) then advances 16 outputs, with no lane sums.
///
/// Made the first time a weight meets such a product (the first decoding step, where the CPU
/// has AVX-512) and kept with the weight's packed buffer, which the prompt passes' GEMM path,
/// training and export still read: decoding holds a second copy of every packed weight
/// (SmolLM2-135M: ~66 MB for the blocks, ~32 MB for the head; a GGUF load's own peak is higher,
/// so peak RSS stays where it was). Copies are cut from huge-page regions, as model weights are.
final class InterleavedWeight: @unchecked Sendable {
    let bits, rows, cols, groups: Int
    /// log2 of the 32-weight units per group.
    let unitShift: Int
    /// Blocks of 16 rows (the last one zero-padded).
    let blockCount: Int
    let blocks: UnsafeMutablePointer<UInt8>
    /// Per block and group the 16 rows' scales, then their biases: float16 where the weight's
    /// factors are (GGUF's blocks), else float32.
    let factors: UnsafeMutableRawPointer
    let halfFactors: Bool
    /// The buffers of the scales and biases the copy was made from (held, so that they are
    /// the same buffers while it is in use).
    let factorSources: (Buffer, Buffer)
    /// The region the copy lives in (unmapped when its last copy and the arena let go of it).
    private let region: HugePageRegion?
    private let ownedMemory: UnsafeMutableRawPointer?

    private init<S: QuantizationScale>(packed: UnsafeMutablePointer<UInt8>, scales: UnsafeMutablePointer<S>,
                                       biases: UnsafeMutablePointer<S>, factorSources: (Buffer, Buffer), bits: Int,
                                       groupSize: Int, rows: Int, cols: Int) {
        self.factorSources = factorSources
        (self.bits, self.rows, self.cols, groups) = (bits, rows, cols, cols / groupSize)
        unitShift = groupSize.trailingZeroBitCount - 5
        blockCount = (rows + 15) / 16
        halfFactors = S.self == Float16.self
        let blockBytes = blockCount * (cols / 32) * graft_interleaved_unit_bytes(Int32(bits))
        let factorBytes = blockCount * groups * 32 * MemoryLayout<S>.size
        let (memory, region) = Self.reserve(blockBytes + factorBytes)
        (ownedMemory, self.region) = region == nil ? (memory, nil) : (nil, region)
        blocks = memory.bindMemory(to: UInt8.self, capacity: blockBytes)
        factors = memory + blockBytes
        graft_interleave_rows(Int32(bits), packed, rows, cols, scales, biases, groups, halfFactors ? 1 : 0, blocks, factors)
    }

    deinit { ownedMemory?.deallocate() }

    // MARK: - One copy per weight

    nonisolated(unsafe) private static var arena: HugePageRegion?
    private static let lock = NSLock()
    /// Address space reserved per arena region (only the pages written take memory).
    private static let arenaBytes = 512 << 20

    /// The copy of the weight whose packed words, scales and biases are these evaluated nodes:
    /// made the first time and kept with the packed words' buffer (``Buffer/derived``).
    static func of<S: QuantizationScale>(packed: Node, scales: Node, biases: Node, _: S.Type, bits: Int,
                                         groupSize: Int) -> InterleavedWeight {
        let buffer = packed.buffer!, factors = (scales.buffer!, biases.buffer!)
        let rows = packed.shape[0], cols = packed.shape[1] * 32 / bits
        return lock.withLock {
            // The copy fits only the same view of the words with the same factors (a buffer may
            // be shared by reshaped views, and packed words may be paired with other factors).
            if let layout = buffer.derived as? InterleavedWeight, layout.factorSources.0 === factors.0,
               layout.factorSources.1 === factors.1, layout.rows == rows, layout.cols == cols,
               layout.bits == bits, layout.groups == cols / groupSize {
                return layout
            }
            let layout = InterleavedWeight(packed: packed.pointer(UInt8.self), scales: scales.pointer(S.self),
                                          biases: biases.pointer(S.self), factorSources: factors, bits: bits,
                                          groupSize: groupSize, rows: rows, cols: cols)
            buffer.derived = layout
            return layout
        }
    }

    /// `bytes` of 64-byte aligned memory: from the current huge-page arena (with it), or
    /// allocated on its own where no region can be had.
    private static func reserve(_ bytes: Int) -> (UnsafeMutableRawPointer, HugePageRegion?) {
        if let region = arena, let p = region.take(bytes) { return (p, region) }
        if let region = HugePageRegion(reserving: max(bytes, arenaBytes)), let p = region.take(bytes) {
            arena = region
            return (p, region)
        }
        return (UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64), nil)
    }
}
