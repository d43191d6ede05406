import Foundation
import Graft

/// The attention geometry that fixes the q/k row permutation.
public struct AttentionHeads: Sendable, Equatable {
    /// Query heads per layer.
    public var queryHeads: Int
    /// Key/value heads per layer.
    public var keyValueHeads: Int
    /// Size of one head.
    public var headDimension: Int

    /// Geometry from explicit values.
    public init(queryHeads: Int, keyValueHeads: Int, headDimension: Int) {
        self.queryHeads = queryHeads
        self.keyValueHeads = keyValueHeads
        self.headDimension = headDimension
    }

    /// Heads of the projection at `module` whose rows are permuted: `self_attn.q_proj` (query
    /// heads), `self_attn.k_proj` (key/value heads); nil for every other module.
    public func headCount(forModule module: String) -> Int? {
        switch module {
        case "self_attn.q_proj": return queryHeads
        case "self_attn.k_proj": return keyValueHeads
        default: return nil
        }
    }
}

/// The one place where q/k output rows move between llama.cpp's interleaved GGUF order and
/// Hugging Face's order (formats.md §1.10): within each head of `d` rows (`half = d/2`),
///
///     Hugging Face row  h·d + s·half + i   ==   GGUF row  h·d + 2i + s     (s ∈ {0, 1})
///
/// It applies to whole weights, LoRA `B` matrices (their rows) and DoRA magnitudes alike: any
/// tensor whose first axis indexes the projection's outputs.
public enum QKRowPermutation {
    /// For each destination row, the source row it is copied from.
    public static func sourceRows(from: QKRowOrder, to: QKRowOrder, headCount: Int, headDimension d: Int) -> [Int] {
        let rows = headCount * d, half = d / 2
        var map = [Int](repeating: 0, count: rows)
        for h in 0..<headCount {
            for s in 0..<2 {
                for i in 0..<half {
                    let hf = h * d + s * half + i, gguf = h * d + 2 * i + s
                    switch (from, to) {
                    case (.huggingFace, .interleaved): map[gguf] = hf
                    case (.interleaved, .huggingFace): map[hf] = gguf
                    default: map[hf] = hf
                    }
                }
            }
        }
        return map
    }

    /// Row-major `values` (`rows × columns`) with their rows moved from one order to the other.
    public static func reorderRows(_ values: [Float], columns: Int, from: QKRowOrder, to: QKRowOrder,
                                   headCount: Int, headDimension: Int) -> [Float] {
        let map = sourceRows(from: from, to: to, headCount: headCount, headDimension: headDimension)
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (row, source) in map.enumerated() {
                    for c in 0..<columns { dst[row * columns + c] = src[source * columns + c] }
                }
            }
        }
        return out
    }

    /// `tensor` (first axis = the projection's `headCount · headDimension` outputs) reordered.
    /// - Throws: ``AdapterError`` naming `source` and `name` when the first axis does not fit.
    public static func reorder(_ tensor: Tensor, from: QKRowOrder, to: QKRowOrder, headCount: Int, headDimension: Int,
                               name: String, source: String) throws -> Tensor {
        guard from != to else { return tensor }
        let rows = headCount * headDimension
        guard tensor.ndim >= 1, tensor.shape[0] == rows, headDimension % 2 == 0 else {
            throw AdapterError(file: source, problem: "tensor '\(name)' has shape \(tensor.shape), but its first axis must be the \(headCount) heads × \(headDimension) = \(rows) outputs of the projection")
        }
        let columns = tensor.size / max(rows, 1)
        let values = reorderRows(tensor.astype(.float32).toArray(as: Float.self), columns: columns, from: from, to: to,
                                 headCount: headCount, headDimension: headDimension)
        return Tensor(values, shape: tensor.shape)
    }
}
