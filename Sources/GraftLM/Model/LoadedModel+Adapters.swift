import Foundation
import Graft
import GraftNN

/// LoRA adapters kept separate from the base weights: every projection they adapt computes
/// `W·x + scale·B·(A·x)` (DoRA: with its magnitude), as in training, instead of using a fused
/// weight. Slower per token than fusing, but exact in float32 whatever the base's quantization.
public struct SideAdapters {
    /// The adapter tensors by model key path (`model.layers.N.<module>.lora_a`), in the model's
    /// q/k row order.
    public let tree: ParameterTree
    /// Rank, alpha and DoRA.
    public let lora: LoRAConfig

    /// Adapters from a tree and settings (dropout is never applied here).
    public init(tree: ParameterTree, lora: LoRAConfig) {
        self.tree = tree
        self.lora = lora
    }

    /// Adapters from a loaded adapter file.
    public init(_ adapter: LoadedAdapter) {
        self.init(tree: adapter.tree, lora: adapter.lora)
    }
}

extension LoadedModel {
    /// This model with `adapter` applied on the side at every step (nothing fused).
    public func applyingOnTheSide(_ adapter: LoadedAdapter) -> LoadedModel {
        applyingOnTheSide(tree: adapter.tree, lora: adapter.lora)
    }

    /// This model with the adapters `tree` (model key paths and row order) applied on the side.
    public func applyingOnTheSide(tree: ParameterTree, lora: LoRAConfig) -> LoadedModel {
        var copy = self
        copy.adapters = SideAdapters(tree: tree, lora: lora)
        return copy
    }

    /// Runs `tokens` after the cached positions (see ``LlamaModel/step(_:cache:lastPositionOnly:)``),
    /// through the side adapters when there are any.
    /// - Throws: the errors of ``LlamaModel/step(_:cache:lastPositionOnly:)``.
    public func step(_ tokens: [Int32], cache: KVCache, lastPositionOnly: Bool = true) throws -> Tensor {
        if let adapters {
            return try model.step(tokens, cache: cache, adapters: adapters.tree, lora: adapters.lora,
                                  lastPositionOnly: lastPositionOnly)
        }
        return try model.step(tokens, cache: cache, lastPositionOnly: lastPositionOnly)
    }
}
