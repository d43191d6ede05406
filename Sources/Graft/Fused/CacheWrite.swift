/// Writes new keys or values into preallocated KV-cache storage, in place:
/// storage `[B, H, C, D]` and update `[B, H, T, D]` → the storage with row b's positions
/// `positions[b] ..< positions[b] + T` (axis 2) replaced by the update.
///
/// The output shares the storage's buffer (no copy of the C positions): the update is copied
/// into it when the node runs. That is safe for memory (a `Buffer` lives while any node holds
/// it, and `eval` only drops a node's reference), but the write is visible through every
/// tensor over that buffer, so the storage must belong to the caller alone (a KV cache that
/// replaces its storage tensor by the result) and must not be read elsewhere in the same graph.
struct CacheWrite: Primitive {
    /// First position written, per batch row.
    let positions: [Int]
    var name: String { "cacheWrite" }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let storage = inputs[0], update = inputs[1]
        let buffer = storage.buffer!
        let (b, h, c, d) = (storage.shape[0], storage.shape[1], storage.shape[2], storage.shape[3])
        let t = update.shape[2], elementSize = storage.dtype.size
        let chunk = t * d * elementSize
        let source = update.buffer!.data, target = buffer.data
        for batch in 0..<b {
            for head in 0..<h {
                let row = batch * h + head
                (target + (row * c + positions[batch]) * d * elementSize).copyMemory(from: source + row * chunk, byteCount: chunk)
            }
        }
        return buffer
    }
}

extension Tensor {
    /// This KV-cache storage `[B, H, C, D]` with `update [B, H, T, D]` written at positions
    /// `positions[b] ..< positions[b] + T` of row b (see `CacheWrite`). The result shares this
    /// tensor's memory and is written in place when evaluated: use it only on storage that
    /// nothing else reads. Not differentiable.
    public func cacheWrite(_ update: Tensor, at positions: [Int]) -> Tensor {
        let ok = ndim == 4 && update.ndim == 4 && dtype == update.dtype && update.shape[0] == shape[0] &&
            update.shape[1] == shape[1] && update.shape[3] == shape[3] && positions.count == shape[0] &&
            positions.allSatisfy { $0 >= 0 && $0 + update.shape[2] <= shape[2] }
        guard ok else {
            return Tensor.failed(GraftError("cacheWrite", "update \(update.shape) \(update.dtype) at positions \(positions) does not fit storage \(shape) \(dtype) ([B, H, C, D] and [B, H, T, D], one position per row with position + T ≤ C)"),
                                 shape: shape, dtype: dtype)
        }
        return Tensor.make(CacheWrite(positions: positions), [self, update], shape: shape, dtype: dtype)
    }
}
