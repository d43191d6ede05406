import Foundation

/// SHA-1 (FIPS 180-4), fed incrementally. Only used to recompute git blob ids
/// (``gitBlobID(ofFile:)``), which the Hugging Face Hub gives for files not stored in LFS;
/// SHA-1 is not collision resistant and is not used for anything else.
public struct SHA1: Sendable {
    private typealias State = (UInt32, UInt32, UInt32, UInt32, UInt32)
    private var state: State = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0)
    private var blocks = MessageBlocks()

    /// A hasher with nothing fed yet.
    public init() {}

    /// The git blob id of the file at `url`: SHA-1 of `"blob <size>\0"` followed by the content,
    /// in lowercase hex.
    /// - Throws: the file's read error.
    public static func gitBlobID(ofFile url: URL) throws -> String {
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA1()
        hasher.update(Array("blob \(size)\0".utf8))
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer($0)) }
        }
        return SHA256.hexString(hasher.finalize())
    }

    /// Feeds `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds the bytes in `buffer`.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        var current = state
        blocks.feed(buffer) { Self.compress(&current, $0) }
        state = current
    }

    /// Pads the message, returns the 20-byte digest. The hasher must not be fed afterwards.
    public mutating func finalize() -> [UInt8] {
        var current = state
        blocks.finish { Self.compress(&current, $0) }
        state = current
        let words = [state.0, state.1, state.2, state.3, state.4]
        return MessageBlocks.bigEndianBytes(words)
    }

    @inline(__always) private static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }

    private static func compress(_ state: inout State, _ block: UnsafeRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            for i in 0..<16 { w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            for i in 16..<80 { w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
            var (a, b, c, d, e) = state
            for i in 0..<80 {
                let f: UInt32, k: UInt32
                switch i {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5a82_7999
                case 20..<40: f = b ^ c ^ d; k = 0x6ed9_eba1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8f1b_bcdc
                default: f = b ^ c ^ d; k = 0xca62_c1d6
                }
                let t = rotl(a, 5) &+ f &+ e &+ k &+ w[i]
                e = d; d = c; c = rotl(b, 30); b = a; a = t
            }
            state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e)
        }
    }
}
