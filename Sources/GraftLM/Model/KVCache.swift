import Graft

/// Keys and values of earlier positions, per layer, so that decoding a new token does not
/// recompute them; one row per sequence of a batch.
///
/// Each layer holds preallocated storage for keys `[B, Hkv, C, D]` (after RoPE) and values
/// `[B, Hkv, C, D]`, of capacity `C` positions. A forward pass writes its new positions in
/// place (`Tensor.cacheWrite`) at each row's current length, and attention reads only the
/// first `length` positions of each row, so a decoding step copies one position per layer,
/// not the whole history. When a pass needs more room the capacity doubles (one copy).
///
/// Rows may hold different lengths (ragged prompts of a batch); the model then rotates each
/// row's new queries and keys from that row's own length. After a pass, evaluate ``state``
/// with the logits (``LlamaModel/step(_:cache:lastPositionOnly:)`` does).
///
/// Storage is float32, or float16 (llama.cpp's default cache type): half the memory and half
/// the bytes attention streams per step; keys and values are rounded to float16 as they are
/// written and widened back as attention reads them.
public final class KVCache {
    /// Number of layers the cache holds.
    public let layerCount: Int
    /// Sequences (rows) the cache holds.
    public private(set) var batchSize: Int
    /// Positions stored per row (each row's next position).
    public private(set) var lengths: [Int]
    /// Positions the storage can hold per row before it grows (0 until the first pass).
    public private(set) var capacity = 0
    /// Smallest capacity allocated at the first pass.
    public let initialCapacity: Int
    /// The storage's element type: `.float32` or `.float16`.
    public let dtype: DType
    private var keys: [Tensor?]
    private var values: [Tensor?]
    /// Positions each row gains when the pass in progress commits.
    private var pending: [Int]?

    /// An empty cache for a model with `layerCount` layers and `batchSize` sequences. Storage is
    /// allocated at the first pass, for at least `initialCapacity` positions, as `dtype`
    /// (`.float32` or `.float16`).
    public init(layerCount: Int, batchSize: Int = 1, initialCapacity: Int = 128, dtype: DType = .float32) {
        precondition(batchSize >= 1 && initialCapacity >= 1, "KVCache: batch size and capacity must be ≥ 1")
        precondition(dtype == .float32 || dtype == .float16, "KVCache: storage must be float32 or float16, not \(dtype)")
        self.dtype = dtype
        self.layerCount = layerCount
        self.batchSize = batchSize
        self.initialCapacity = initialCapacity
        lengths = Array(repeating: 0, count: batchSize)
        keys = Array(repeating: nil, count: layerCount)
        values = Array(repeating: nil, count: layerCount)
    }

    /// Positions preallocated per sequence at most for a generation (past it the storage doubles
    /// when needed).
    static let generationCapacityLimit = 1024

    /// The capacity to preallocate for a prompt of `prompt` tokens and `maxTokens` new ones: all
    /// of it when that stays under ``generationCapacityLimit`` (or under the prompt).
    static func initialCapacity(prompt: Int, maxTokens: Int) -> Int {
        Swift.max(1, Swift.min(prompt + maxTokens, Swift.max(prompt, generationCapacityLimit)))
    }

    /// Positions stored in the longest row (for one sequence: its length).
    public var length: Int { lengths.max() ?? 0 }

    /// Every storage tensor (evaluate these with the pass's outputs).
    public var state: [Tensor] { (keys + values).compactMap { $0 } }

    /// Bytes held by the key and value storage (all `capacity` positions).
    public var byteCount: Int { state.reduce(0) { $0 + $1.size * $1.dtype.size } }

    /// Starts a pass in which row b gains `counts[b]` positions (committed by ``commit()``).
    func begin(counts: [Int]) {
        precondition(counts.count == batchSize, "KVCache: \(counts.count) rows given, the cache holds \(batchSize)")
        pending = counts
    }

    /// Writes this pass's keys and values `[B, Hkv, T, D]` for `layer` at each row's length and
    /// returns the storage with the number of valid keys per row (`length + T`). Positions of a
    /// row past its committed count (padding) are overwritten by later passes.
    func write(layer: Int, keys newKeys: Tensor, values newValues: Tensor) -> (keys: Tensor, values: Tensor, keyLengths: [Int]) {
        precondition(newKeys.dim(0) == batchSize, "KVCache: \(newKeys.dim(0)) rows given, the cache holds \(batchSize)")
        let t = newKeys.dim(2)
        let needed = length + t
        if needed > capacity {
            var grown = Swift.max(capacity, initialCapacity)
            while grown < needed { grown *= 2 }
            capacity = grown
        }
        func storage(_ old: Tensor?, like update: Tensor) -> Tensor {
            let (b, h, d) = (update.dim(0), update.dim(1), update.dim(3))
            guard let old else { return Tensor.zeros([b, h, capacity, d], dtype: dtype) }
            if old.dim(2) == capacity { return old }
            return Tensor.concatenate([old, Tensor.zeros([b, h, capacity - old.dim(2), d], dtype: dtype)], axis: 2)
        }
        func stored(_ update: Tensor) -> Tensor { update.dtype == dtype ? update : update.astype(dtype) }
        let k = storage(keys[layer], like: newKeys).cacheWrite(stored(newKeys), at: lengths)
        let v = storage(values[layer], like: newValues).cacheWrite(stored(newValues), at: lengths)
        keys[layer] = k
        values[layer] = v
        return (k, v, lengths.map { $0 + t })
    }

    /// Ends a forward pass: the positions it added now count as stored.
    func commit() {
        guard let pending else { return }
        for row in 0..<batchSize { lengths[row] += pending[row] }
        self.pending = nil
    }

    /// Keeps only the first `count` positions of every row (to reuse a shared prefix of a new
    /// prompt); the storage stays allocated and later passes overwrite the rest.
    public func truncate(to count: Int) {
        precondition(count >= 0 && count <= length, "KVCache.truncate: \(count) outside 0...\(length)")
        lengths = lengths.map { Swift.min($0, count) }
    }

    /// Forgets every stored position and releases the storage.
    public func reset() {
        lengths = Array(repeating: 0, count: batchSize)
        keys = Array(repeating: nil, count: layerCount)
        values = Array(repeating: nil, count: layerCount)
        capacity = 0
    }

    /// Keeps only the given rows, in that order (sequences of a batch that are still going);
    /// copies their storage once.
    public func keepRows(_ rows: [Int]) {
        precondition(!rows.isEmpty && rows.allSatisfy { (0..<batchSize).contains($0) },
                     "KVCache.keepRows: rows \(rows) outside 0..<\(batchSize)")
        if rows == Array(0..<batchSize) { return }
        let index = Tensor(rows.map(Int32.init))
        keys = keys.map { $0?.take(index, axis: 0) }
        values = values.map { $0?.take(index, axis: 0) }
        lengths = rows.map { lengths[$0] }
        batchSize = rows.count
        eval(state)
    }
}
