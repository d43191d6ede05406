/// Endless, resumable batches over a split's examples.
///
/// Order per epoch (with `shuffle`): the example indices are shuffled with a generator seeded
/// by `(seed, epoch)`; they are cut into windows of `windowBatches * batchSize`; each window is
/// sorted by length (so a batch holds similar lengths and little padding, as mlx-lm's sorted
/// batches do) and cut into batches; the full batches are shuffled and the one smaller batch
/// (when the count is not a multiple of `batchSize`) comes last. Every example is used exactly
/// once per epoch. Without `shuffle` (evaluation) the examples are sorted by length and cut in
/// order, the same for every epoch.
///
/// The order is a pure function of the examples' lengths, `batchSize`, `windowBatches`,
/// `seed` and the epoch, so ``position`` can be saved and restored to resume exactly.
public struct BatchIterator: Sendable, IteratorProtocol {
    /// The examples being batched.
    public let examples: [TokenizedExample]
    /// Examples per batch (the last batch of an epoch may be smaller).
    public let batchSize: Int
    /// Seed of the data order.
    public let seed: UInt64
    /// Batches per length-sorting window; 1 means no bucketing (random batches).
    public let windowBatches: Int
    /// Whether the order changes per epoch (training) or is fixed and sorted (evaluation).
    public let shuffle: Bool
    /// The id written into padding positions (masked out of the loss).
    public let paddingID: Int32

    /// The epoch and index of the next batch. Set it to resume from a saved position.
    public var position: BatchPosition {
        didSet { precondition(position.epoch >= 0 && position.index >= 0, "BatchIterator: negative position") }
    }

    private var plannedEpoch = -1
    private var plan: [[Int]] = []

    /// The default window: 32 batches sorted together.
    public static let defaultWindowBatches = 32

    /// An iterator over `examples`.
    /// - Precondition: at least one example, every example has at least 2 tokens, `batchSize`
    ///   and `windowBatches` positive.
    public init(examples: [TokenizedExample], batchSize: Int, seed: UInt64, shuffle: Bool = true,
                windowBatches: Int = BatchIterator.defaultWindowBatches, paddingID: Int32 = 0,
                position: BatchPosition = BatchPosition()) {
        precondition(!examples.isEmpty, "BatchIterator: no examples")
        precondition(batchSize > 0 && windowBatches > 0, "BatchIterator: batchSize and windowBatches must be positive")
        precondition(examples.allSatisfy { $0.length >= 2 }, "BatchIterator: every example needs at least 2 tokens")
        self.examples = examples
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
        self.windowBatches = windowBatches
        self.paddingID = paddingID
        self.position = position
    }

    /// An iterator over a split's examples.
    public init(split: DatasetSplit, batchSize: Int, seed: UInt64, shuffle: Bool = true,
                windowBatches: Int = BatchIterator.defaultWindowBatches, paddingID: Int32 = 0,
                position: BatchPosition = BatchPosition()) {
        self.init(examples: split.examples, batchSize: batchSize, seed: seed, shuffle: shuffle,
                  windowBatches: windowBatches, paddingID: paddingID, position: position)
    }

    /// Batches per epoch: ⌈examples / batchSize⌉.
    public var batchesPerEpoch: Int { (examples.count + batchSize - 1) / batchSize }

    /// The example indices of every batch of `epoch`, in order.
    public func batchPlan(epoch: Int) -> [[Int]] {
        var order = Array(examples.indices)
        let window: Int
        if shuffle {
            var generator = SeededGenerator(seed: seed, stream: UInt64(epoch))
            generator.shuffle(&order)
            window = windowBatches * batchSize
        } else {
            window = order.count
        }
        var full: [[Int]] = []
        full.reserveCapacity(batchesPerEpoch)
        var remainder: [Int] = []
        var start = 0
        while start < order.count {
            let end = min(start + window, order.count)
            let sorted = order[start..<end].sorted { a, b in
                let la = examples[a].length, lb = examples[b].length
                return la != lb ? la < lb : a < b
            }
            var batchStart = 0
            while batchStart < sorted.count {
                let batchEnd = min(batchStart + batchSize, sorted.count)
                let batch = Array(sorted[batchStart..<batchEnd])
                if batch.count == batchSize { full.append(batch) } else { remainder = batch }
                batchStart = batchEnd
            }
            start = end
        }
        if shuffle {
            var generator = SeededGenerator(seed: seed, stream: UInt64(epoch) | 1 << 63)
            generator.shuffle(&full)
        }
        if !remainder.isEmpty { full.append(remainder) }
        return full
    }

    /// The batch at `position` and the position after it; the iterator never ends.
    public mutating func next() -> TrainingBatch? {
        var current = position
        if current.index >= batchesPerEpoch {
            current = BatchPosition(epoch: current.epoch + current.index / batchesPerEpoch,
                                    index: current.index % batchesPerEpoch)
        }
        if plannedEpoch != current.epoch {
            plan = batchPlan(epoch: current.epoch)
            plannedEpoch = current.epoch
        }
        let batch = makeBatch(plan[current.index], position: current)
        position = current.index + 1 < batchesPerEpoch
            ? BatchPosition(epoch: current.epoch, index: current.index + 1)
            : BatchPosition(epoch: current.epoch + 1, index: 0)
        return batch
    }

    /// Pads the given examples into one batch.
    public func makeBatch(_ indices: [Int], position: BatchPosition = BatchPosition()) -> TrainingBatch {
        var length = 0
        for index in indices { length = max(length, examples[index].length - 1) }
        let count = indices.count * length
        var inputs = [Int32](repeating: paddingID, count: count)
        var targets = [Int32](repeating: paddingID, count: count)
        var mask = [Bool](repeating: false, count: count)
        var rowLengths = [Int](repeating: 0, count: indices.count)
        for (row, index) in indices.enumerated() {
            let example = examples[index]
            let real = example.length - 1
            rowLengths[row] = real
            let base = row * length
            example.tokens.withUnsafeBufferPointer { tokens in
                example.trained.withUnsafeBufferPointer { trained in
                    for t in 0..<real {
                        inputs[base + t] = tokens[t]
                        targets[base + t] = tokens[t + 1]
                        mask[base + t] = trained[t + 1]
                    }
                }
            }
        }
        return TrainingBatch(batchSize: indices.count, length: length, inputIDs: inputs, targetIDs: targets,
                             lossMask: mask, rowLengths: rowLengths, exampleIndices: indices, position: position)
    }
}
