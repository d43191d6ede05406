import Foundation
import Graft

/// The order of the output rows of the q/k projections (and so of their LoRA `B` rows and DoRA
/// magnitudes) that an adapter's tensors are in (formats.md §1.10).
public enum QKRowOrder: String, Sendable, Equatable {
    /// llama.cpp's GGUF order: each head's rotation pairs are adjacent rows.
    case interleaved
    /// Hugging Face's order (PEFT, mlx-lm, transformers): each head's two halves are contiguous.
    case huggingFace
}

/// The settings of a set of LoRA adapters, independent of any file format.
public struct LoRAAdapterSettings: Sendable, Equatable {
    /// Rank of every adapter.
    public var rank: Int
    /// `alpha`: the update is scaled by `alpha / rank`.
    public var alpha: Double
    /// Dropout on the adapter input during training (recorded, unused at inference).
    public var dropout: Double
    /// Whether the adapters carry DoRA magnitudes (`lora_magnitude`).
    public var dora: Bool
    /// The base model the adapters were trained on, when known (a file name or hub id).
    public var baseModel: String?

    /// Settings from explicit values.
    public init(rank: Int, alpha: Double, dropout: Double = 0, dora: Bool = false, baseModel: String? = nil) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.dora = dora
        self.baseModel = baseModel
    }

    /// The factor applied to `B·A`.
    public var scale: Double { alpha / Double(rank) }
}

/// LoRA adapters in Graft's naming and orientation, as every adapter reader returns them and
/// every writer takes them.
///
/// Keys are the base model's Hugging Face module paths plus a leaf: for example
/// `model.layers.29.self_attn.q_proj.lora_a` `[rank, in]`, `….lora_b` `[out, rank]` and, with
/// DoRA, `….lora_magnitude` `[out]` (PEFT's orientation). The q/k rows are in ``rowOrder``.
public struct LoRAAdapter {
    /// Every adapter tensor by key path.
    public var tensors: [String: Tensor]
    /// Rank, alpha, dropout, DoRA.
    public var settings: LoRAAdapterSettings
    /// The q/k row order of the tensors.
    public var rowOrder: QKRowOrder

    /// Adapters from tensors, settings and their q/k row order.
    public init(tensors: [String: Tensor], settings: LoRAAdapterSettings, rowOrder: QKRowOrder) {
        self.tensors = tensors
        self.settings = settings
        self.rowOrder = rowOrder
    }

    /// The leaves Graft's adapters use.
    public static let leaves = ["lora_a", "lora_b", "lora_magnitude"]

    /// The module paths inside a block that Graft can adapt.
    public static let modules = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                 "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]

    /// A key path split into layer, module (`self_attn.q_proj`) and leaf (`lora_a`), or nil when
    /// it is not an adapter key of a transformer block.
    public static func parseKey(_ key: String) -> (layer: Int, module: String, leaf: String)? {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]), layer >= 0,
              leaves.contains(parts[5]) else { return nil }
        let module = parts[3] + "." + parts[4]
        guard modules.contains(module) else { return nil }
        return (layer, module, parts[5])
    }

    /// Blocks that carry adapters, ascending.
    public var layers: [Int] { Set(tensors.keys.compactMap { Self.parseKey($0)?.layer }).sorted() }

    /// Adapted module paths inside a block, in ``modules`` order.
    public var adaptedModules: [String] {
        let present = Set(tensors.keys.compactMap { Self.parseKey($0)?.module })
        return Self.modules.filter(present.contains)
    }

    /// The same adapters with q/k `lora_b` rows and DoRA magnitudes put in `order`.
    /// - Throws: ``AdapterError`` when a q/k tensor does not fit `heads`.
    public func reordered(to order: QKRowOrder, heads: AttentionHeads, source: String) throws -> LoRAAdapter {
        guard order != rowOrder else { return self }
        var out = self
        out.rowOrder = order
        for (key, tensor) in tensors {
            guard let parsed = Self.parseKey(key), parsed.leaf != "lora_a",
                  let headCount = heads.headCount(forModule: parsed.module) else { continue }
            out.tensors[key] = try QKRowPermutation.reorder(tensor, from: rowOrder, to: order, headCount: headCount,
                                                            headDimension: heads.headDimension, name: key, source: source)
        }
        return out
    }
}
