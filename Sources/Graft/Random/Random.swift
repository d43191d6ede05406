import Foundation

/// A key for counter-based random numbers: value i of a draw is a pure function of
/// (key, i), so results depend only on the seed, never on evaluation order or threads.
public struct RandomKey: Sendable, Hashable, CustomStringConvertible {
    /// The 64-bit key state.
    public let state: UInt64

    /// A key from a seed.
    public init(seed: UInt64) { state = RandomKey.mix(seed &+ 0x9E37_79B9_7F4A_7C15) }
    /// A key from its raw state (as saved in a checkpoint).
    public init(state: UInt64) { self.state = state }

    /// Two independent keys derived from this one.
    public func split() -> (RandomKey, RandomKey) {
        let s = split(into: 2)
        return (s[0], s[1])
    }

    /// `n` independent keys derived from this one.
    public func split(into n: Int) -> [RandomKey] {
        (0..<n).map { RandomKey(state: RandomKey.mix(state ^ RandomKey.mix(UInt64($0) &+ 0xD1B5_4A32_D192_ED03))) }
    }

    /// A key derived from this one and an integer (e.g. the step), without drawing anything:
    /// the same (key, value) always gives the same key.
    public func folded(with value: Int) -> RandomKey {
        RandomKey(state: RandomKey.mix(state ^ RandomKey.mix(UInt64(bitPattern: Int64(value)) &+ 0xA076_1D64_78BD_642F)))
    }

    /// SplitMix64's finaliser: a bijective 64-bit mixer.
    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64 random bits for counter `i`.
    @inline(__always) func bits(_ i: Int) -> UInt64 {
        RandomKey.mix(state ^ RandomKey.mix(UInt64(bitPattern: Int64(i)) &+ 0x632B_E59B_D9B4_E019))
    }

    public var description: String { "RandomKey(\(state))" }
}

/// Draws from a distribution; element i uses counter i of the key.
struct RandomDraw: Primitive {
    enum Distribution { case uniform(low: Double, high: Double), normal(mean: Double, std: Double), bernoulli(p: Double) }
    let key: RandomKey
    let distribution: Distribution
    var name: String { "random" }

    /// Uniform in [0, 1) from the top 53 bits.
    @inline(__always) static func unit(_ b: UInt64) -> Double { Double(b >> 11) * 0x1.0p-53 }

    @inline(__always) func sample(_ i: Int) -> Double {
        let b = key.bits(i)
        switch distribution {
        case .uniform(let lo, let hi): return lo + (hi - lo) * RandomDraw.unit(b)
        case .bernoulli(let p): return RandomDraw.unit(b) < p ? 1 : 0
        case .normal(let mean, let std):
            // Box–Muller on two 32-bit halves; u1 in (0, 1] avoids log(0).
            let u1 = (Double(b >> 32) + 1) * 0x1.0p-32, u2 = Double(b & 0xFFFF_FFFF) * 0x1.0p-32
            return mean + std * (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
        }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let n = output.count
        func fill<T: TensorElement>(_: T.Type) {
            let p = SendPtr(out.pointer(T.self))
            Parallel.forEach(n, costPerItem: 16) { r in for i in r { p[i] = T(fromDouble: sample(i)) } }
        }
        switch output.dtype {
        case .float64: fill(Double.self)
        case .bool: fill(Bool.self)
        default: fill(Float.self)
        }
        return out
    }
}

extension Tensor {
    /// Uniform samples in [low, high).
    public static func uniform(_ shape: [Int], low: Double = 0, high: Double = 1, key: RandomKey,
                               dtype: DType = .float32) -> Tensor {
        randomDraw(shape, .uniform(low: low, high: high), key, dtype)
    }

    /// Normal samples with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Double = 0, std: Double = 1, key: RandomKey,
                              dtype: DType = .float32) -> Tensor {
        randomDraw(shape, .normal(mean: mean, std: std), key, dtype)
    }

    /// `true` with probability `p`.
    public static func bernoulli(_ shape: [Int], p: Double, key: RandomKey) -> Tensor {
        randomDraw(shape, .bernoulli(p: p), key, .bool)
    }

    static func randomDraw(_ shape: [Int], _ d: RandomDraw.Distribution, _ key: RandomKey, _ dtype: DType) -> Tensor {
        guard dtype == .float32 || dtype == .float64 || dtype == .bool, shape.allSatisfy({ $0 >= 0 }) else {
            return failed(GraftError("random", "shape \(shape) / dtype \(dtype) unsupported (float32, float64; bool for bernoulli)"))
        }
        return make(RandomDraw(key: key, distribution: d), [], shape: shape, dtype: dtype)
    }
}
