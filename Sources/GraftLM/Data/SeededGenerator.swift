/// A small deterministic random generator (SplitMix64) for data order.
///
/// Data order depends only on the seed given here, never on global state, the platform or the
/// Swift version (the shuffle is written out rather than taken from the standard library).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// A generator for one stream of a seed (e.g. one epoch), independent of the other streams.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SeededGenerator(seed: seed)
        state = mixer.next() ^ Self.mix(stream &+ 0x632B_E59B_D9B4_E019)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// A uniform integer in `0..<bound` (bound > 0), without modulo bias.
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "nextIndex(below:): bound must be positive")
        let limit = UInt64(bound)
        let threshold = (0 &- limit) % limit  // 2^64 mod bound: values below it are rejected
        while true {
            let value = next()
            if value >= threshold { return Int(value % limit) }
        }
    }

    /// Shuffles `array` in place (Fisher–Yates, last element first).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for index in stride(from: array.count - 1, to: 0, by: -1) {
            let other = nextIndex(below: index + 1)
            if other != index { array.swapAt(index, other) }
        }
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
