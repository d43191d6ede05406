import Graft

/// Where a batch iterator stands: the epoch and the index of the next batch within it.
/// Saving it and restoring it into an iterator built with the same examples, batch size and
/// seed resumes the exact same sequence of batches.
public struct BatchPosition: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// The epoch (0-based).
    public var epoch: Int
    /// The batch index within the epoch (0-based).
    public var index: Int

    /// A position.
    public init(epoch: Int = 0, index: Int = 0) {
        self.epoch = epoch
        self.index = index
    }

    /// "epoch E, batch I".
    public var description: String { "epoch \(epoch), batch \(index)" }
}

/// One padded batch for next-token training, in row-major `[batchSize, length]` layout.
///
/// Row `b` holds example `exampleIndices[b]`: `inputs` are its tokens `0..<n-1`, `targets` its
/// tokens `1..<n`, then padding up to `length` (the longest example in the batch minus one).
/// `mask` is true where the target is trained and not padding.
public struct TrainingBatch: Sendable {
    /// Rows (examples) in this batch; the last batch of an epoch may have fewer than the others.
    public let batchSize: Int
    /// Positions per row.
    public let length: Int
    /// Input ids, `batchSize * length`.
    public let inputIDs: [Int32]
    /// Target ids (inputs shifted by one), `batchSize * length`.
    public let targetIDs: [Int32]
    /// Whether each target is trained, `batchSize * length`.
    public let lossMask: [Bool]
    /// Real (unpadded) positions per row: the example's length minus one.
    public let rowLengths: [Int]
    /// The examples in this batch (indices into the split), one per row.
    public let exampleIndices: [Int]
    /// The position this batch was produced at.
    public let position: BatchPosition

    /// Builds a batch from flat arrays (counts must match `batchSize * length`).
    public init(batchSize: Int, length: Int, inputIDs: [Int32], targetIDs: [Int32], lossMask: [Bool],
                rowLengths: [Int], exampleIndices: [Int], position: BatchPosition) {
        let count = batchSize * length
        precondition(inputIDs.count == count && targetIDs.count == count && lossMask.count == count,
                     "TrainingBatch: arrays do not fill [\(batchSize), \(length)]")
        self.batchSize = batchSize
        self.length = length
        self.inputIDs = inputIDs
        self.targetIDs = targetIDs
        self.lossMask = lossMask
        self.rowLengths = rowLengths
        self.exampleIndices = exampleIndices
        self.position = position
    }

    /// Number of trained targets (true entries of the mask).
    public var tokenCount: Int { lossMask.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// Number of real (unpadded) input positions.
    public var realTokenCount: Int { rowLengths.reduce(0, +) }

    /// Input ids as an int32 tensor `[batchSize, length]`.
    public var inputs: Tensor { Tensor(inputIDs, shape: [batchSize, length]) }
    /// Target ids as an int32 tensor `[batchSize, length]`.
    public var targets: Tensor { Tensor(targetIDs, shape: [batchSize, length]) }
    /// The loss mask as a bool tensor `[batchSize, length]`.
    public var mask: Tensor { Tensor(lossMask, shape: [batchSize, length]) }
}
