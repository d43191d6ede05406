import Graft
import GraftNN

/// What training needs from a model: the loss with LoRA adapters applied, and fresh adapters.
///
/// Adapter trees use the model's parameter key paths plus `lora_a` / `lora_b` /
/// `lora_magnitude`, e.g. `model.layers.29.self_attn.q_proj.lora_a`, so they map 1:1 onto
/// PEFT and mlx-lm names.
public protocol AdaptableModel {
    /// Number of transformer blocks.
    var layerCount: Int { get }
    /// Total parameters of the base model.
    var baseParameterCount: Int { get }
    /// Bytes the base weights occupy (packed, as loaded).
    var baseByteCount: Int { get }
    /// Identifies the base weights (a checkpoint is never resumed onto another base).
    var fingerprint: String { get }
    /// Mean cross-entropy over the trained (masked-in) positions of `batch` with `adapters`
    /// applied, as a scalar float32 tensor; `dropoutKey` turns on LoRA dropout (training).
    func loss(_ batch: TrainingBatch, adapters: ParameterTree, lora: LoRAConfig, dropoutKey: RandomKey?) -> Tensor
    /// Fresh adapters on `modules` (paths inside a block, e.g. `self_attn.q_proj`) of `layers`.
    func makeAdapters(modules: [String], layers: [Int], lora: LoRAConfig, key: RandomKey) throws -> ParameterTree
}
