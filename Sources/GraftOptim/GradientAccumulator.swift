import Graft

/// Sums gradient trees over micro-batches and hands back their weighted average, so that k
/// micro-batches make one optimizer update.
///
/// With the default weight 1 per micro-batch the result is the plain mean of the k gradients:
/// for a loss that is a mean over equally sized micro-batches, that is the gradient of the mean
/// loss over the whole batch. When micro-batches count different numbers of items (tokens left
/// after masking, a short last batch), pass each one's count as `weight`: the weighted mean
/// `Σ wᵢ·gᵢ / Σ wᵢ` is then the gradient of the mean over all items.
///
/// The running sums are lazy tensors; evaluate the tensors `add` returns together with the
/// micro-batch's loss so that each micro-batch's graph is freed before the next one is built.
public struct GradientAccumulator {
    /// Raised when a gradient tree does not have the key paths of the ones added before it.
    public struct MismatchError: Error, CustomStringConvertible {
        /// Paths present in one tree and not in the other.
        public let paths: [String]
        public var description: String {
            "GradientAccumulator: gradient trees differ at " + paths.prefix(5).joined(separator: ", ")
                + (paths.count > 5 ? " (and \(paths.count - 5) more)" : "")
        }
    }

    /// Micro-batches per update (`isComplete` turns true when that many were added).
    public let microBatches: Int
    /// Micro-batches added since the last `average()`.
    public private(set) var count = 0
    /// Sum of the weights added since the last `average()`.
    public private(set) var totalWeight = 0.0
    private var sums: [(path: String, tensor: Tensor)] = []

    /// An accumulator for updates made of `microBatches` micro-batches (at least 1).
    public init(microBatches: Int) {
        precondition(microBatches >= 1, "GradientAccumulator: microBatches must be at least 1, got \(microBatches)")
        self.microBatches = microBatches
    }

    /// True when `microBatches` micro-batches have been added since the last `average()`.
    public var isComplete: Bool { count >= microBatches }

    /// Adds one micro-batch's gradients, scaled by `weight` (> 0). Returns the running sums:
    /// evaluate them with the micro-batch's loss.
    @discardableResult
    public mutating func add(_ gradients: ParameterTree, weight: Double = 1) throws -> [Tensor] {
        precondition(weight > 0 && weight.isFinite, "GradientAccumulator: weight must be positive, got \(weight)")
        let incoming = gradients.flattened()
        if sums.isEmpty {
            sums = incoming.map { (path: $0.path, tensor: weight == 1 ? $0.tensor : $0.tensor * weight) }
        } else {
            guard incoming.map(\.path) == sums.map(\.path) else {
                let old = Set(sums.map(\.path)), new = Set(incoming.map(\.path))
                throw MismatchError(paths: old.symmetricDifference(new).sorted())
            }
            for i in sums.indices {
                let g = incoming[i].tensor
                sums[i].tensor = sums[i].tensor + (weight == 1 ? g : g * weight)
            }
        }
        count += 1
        totalWeight += weight
        return sums.map(\.tensor)
    }

    /// The weighted mean of the gradients added since the last call (lazy), and a reset.
    /// Returns nil when nothing was added.
    public mutating func average() -> ParameterTree? {
        guard count > 0 else { return nil }
        let scale = 1 / totalWeight
        let mean = ParameterTree(flattened: sums.map { ($0.path, scale == 1 ? $0.tensor : $0.tensor * scale) })
        sums = []
        count = 0
        totalWeight = 0
        return mean
    }
}
