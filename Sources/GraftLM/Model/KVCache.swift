import Graft

/// Keys and values of earlier positions, per layer, so that decoding a new token does not
/// recompute them.
///
/// Each layer holds keys `[B, Hkv, S, D]` (after RoPE) and values `[B, Hkv, S, D]`; a forward
/// pass with `T` new tokens appends along axis 2 and the model rotates the new queries and keys
/// from position `length`. After the pass, evaluate the cache's ``state`` together with the
/// logits (``LlamaModel/step(_:cache:lastPositionOnly:)`` does), so that the next pass starts
/// from materialised tensors rather than a growing graph.
public final class KVCache {
    /// Number of layers the cache holds.
    public let layerCount: Int
    private var keys: [Tensor?]
    private var values: [Tensor?]
    /// Positions already stored (the next token's position).
    public private(set) var length = 0
    /// Positions appended during the pass in progress.
    private var pending = 0

    /// An empty cache for a model with `layerCount` layers.
    public init(layerCount: Int) {
        self.layerCount = layerCount
        keys = Array(repeating: nil, count: layerCount)
        values = Array(repeating: nil, count: layerCount)
    }

    /// Every stored tensor (evaluate these with the pass's outputs).
    public var state: [Tensor] { (keys + values).compactMap { $0 } }

    /// Bytes held by the stored keys and values.
    public var byteCount: Int { state.reduce(0) { $0 + $1.size * $1.dtype.size } }

    /// Appends this pass's keys and values for `layer` and returns everything stored for it.
    /// All layers of one pass must append the same number of positions; ``commit()`` ends it.
    func append(layer: Int, keys newKeys: Tensor, values newValues: Tensor) -> (keys: Tensor, values: Tensor) {
        pending = newKeys.shape[2]
        let k = keys[layer].map { Tensor.concatenate([$0, newKeys], axis: 2) } ?? newKeys
        let v = values[layer].map { Tensor.concatenate([$0, newValues], axis: 2) } ?? newValues
        keys[layer] = k
        values[layer] = v
        return (k, v)
    }

    /// Ends a forward pass: the positions it appended now count as stored.
    func commit() {
        length += pending
        pending = 0
    }

    /// Keeps only the first `count` positions (to reuse a shared prefix of a new prompt).
    public func truncate(to count: Int) {
        precondition(count >= 0 && count <= length, "KVCache.truncate: \(count) outside 0...\(length)")
        if count == length { return }
        for layer in 0..<layerCount {
            if count == 0 {
                keys[layer] = nil
                values[layer] = nil
            } else {
                keys[layer] = keys[layer].map { $0.slice(axis: 2, 0..<count) }
                values[layer] = values[layer].map { $0.slice(axis: 2, 0..<count) }
            }
        }
        length = count
        eval(state)
    }

    /// Forgets every stored position.
    public func reset() { truncate(to: 0) }
}
