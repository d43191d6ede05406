import Foundation
import Graft
import GraftIO
import GraftNN

/// LoRA adapters read from any source Graft knows, checked against a model and put in its q/k
/// row order: a training checkpoint (`.h5`), a run folder (its latest checkpoint), a PEFT folder,
/// an mlx-lm folder, or a llama.cpp GGUF LoRA file.
public struct LoadedAdapter {
    /// The adapters in the model's row order, by key path (`model.layers.N.<module>.lora_a`).
    public let adapter: LoRAAdapter
    /// What the path held.
    public let format: AdapterFormat
    /// The file the tensors came from (a run folder's latest checkpoint, or the path itself).
    public let file: URL

    /// The adapter tree the model's forward pass takes.
    public var tree: ParameterTree { ParameterTree(flattened: adapter.tensors.map { ($0.key, $0.value) }) }
    /// The LoRA settings (rank, alpha, dropout, DoRA).
    public var lora: LoRAConfig {
        let s = adapter.settings
        return LoRAConfig(rank: s.rank, alpha: s.alpha, dropout: s.dropout, dora: s.dora)
    }

    /// Loads the adapters at `path` for `model`: the tree for
    /// `LlamaModel.logits(_:adapters:lora:dropoutKey:)` / `step(_:cache:adapters:lora:)` and the
    /// settings.
    /// - Throws: ``AdapterError`` (missing path, unknown format, tensors that do not fit the
    ///   model), ``CheckpointError``, ``GGUFError`` or ``SafetensorsError``; all name the file.
    public static func load(path: String, model: LlamaModel) throws -> (ParameterTree, LoRAConfig) {
        let loaded = try open(path: path, model: model)
        return (loaded.tree, loaded.lora)
    }

    /// Like ``load(path:model:)``, keeping the format and file.
    public static func open(path: String, model: LlamaModel) throws -> LoadedAdapter {
        let (raw, file, format) = try read(path: path)
        let adapter = try raw.reordered(to: model.adapterRowOrder, heads: model.attentionHeads, source: file.path)
        try model.validate(adapter: adapter, source: file.path)
        return LoadedAdapter(adapter: adapter, format: format, file: file)
    }

    /// Reads the adapters at `path` as stored (the file's q/k row order), without a model.
    public static func read(path: String) throws -> (adapter: LoRAAdapter, file: URL, format: AdapterFormat) {
        let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
        let format = try AdapterFormat.detect(url)
        switch format {
        case .peft: return (try PEFTAdapterDirectory.read(url), url, format)
        case .mlx: return (try MLXAdapterDirectory.read(url), url, format)
        case .gguf: return (try GGUFLoRAFile.read(url), url, format)
        case .checkpoint: return (try checkpointAdapter(url), url, format)
        case .runFolder:
            let file = try CheckpointDirectory.resolve(url.path)
            return (try checkpointAdapter(file), file, format)
        }
    }

    /// The adapters of a training checkpoint with the LoRA settings of the recipe stored in it
    /// (including `--set` overrides, which the trainer records as `# --set key=value` lines).
    static func checkpointAdapter(_ url: URL) throws -> LoRAAdapter {
        let checkpoint = try TrainingCheckpoint(contentsOf: url)
        let recipe: Recipe
        do {
            recipe = try Recipe.stored(in: checkpoint, at: url)
        } catch {
            throw AdapterError(file: url.path, problem: "the recipe stored in the checkpoint cannot be read: \(error)")
        }
        let settings = LoRAAdapterSettings(rank: recipe.lora.rank, alpha: recipe.lora.alpha, dropout: recipe.lora.dropout,
                                           dora: recipe.lora.dora, baseModel: recipe.model.path)
        // The trainer's model keeps a GGUF's interleaved q/k rows; safetensors models use Hugging Face order.
        let order: QKRowOrder = recipe.model.path.lowercased().hasSuffix(".gguf") ? .interleaved : .huggingFace
        let adapter = LoRAAdapter(tensors: checkpoint.adapters, settings: settings, rowOrder: order)
        for key in adapter.tensors.keys where LoRAAdapter.parseKey(key) == nil {
            throw AdapterError(file: url.path, problem: "checkpoint tensor '\(key)' is not an adapter of a transformer block's linear module")
        }
        return adapter
    }
}

extension LlamaModel {
    /// The attention geometry (fixes the q/k row permutation).
    public var attentionHeads: AttentionHeads {
        AttentionHeads(queryHeads: config.attentionHeadCount, keyValueHeads: config.keyValueHeadCount,
                       headDimension: config.headDimension)
    }

    /// The q/k row order of this model's weights (and so of adapters applied to it).
    public var adapterRowOrder: QKRowOrder { ropeConvention == .interleavedPairs ? .interleaved : .huggingFace }

    /// Checks that every adapter tensor belongs to a block and projection of this model with a
    /// fitting shape: `lora_a [r, in]`, `lora_b [out, r]`, `lora_magnitude [out]`.
    /// - Throws: ``AdapterError`` naming `source`, the tensor, and both shapes.
    public func validate(adapter: LoRAAdapter, source: String) throws {
        let r = adapter.settings.rank
        for key in adapter.tensors.keys.sorted() {
            let t = adapter.tensors[key]!
            guard let p = LoRAAdapter.parseKey(key) else {
                throw AdapterError(file: source, problem: "'\(key)' is not an adapter of a transformer block's linear module")
            }
            guard p.layer < config.layerCount, let projection = projection(layer: p.layer, module: p.module) else {
                throw AdapterError(file: source, problem: "'\(key)' adapts block \(p.layer), but the model has \(config.layerCount) blocks: the adapter belongs to another model")
            }
            let (out, inputs) = (projection.outputCount, projection.inputCount)
            let expected: [Int]
            switch p.leaf {
            case "lora_a": expected = [r, inputs]
            case "lora_b": expected = [out, r]
            default: expected = [out]
            }
            guard t.shape == expected else {
                throw AdapterError(file: source, problem: "'\(key)' has shape \(t.shape) but this model's \(p.module) ([\(out), \(inputs)]) needs \(expected) at rank \(r): the adapter belongs to another model")
            }
        }
    }

    /// ``step(_:cache:lastPositionOnly:)`` with LoRA adapters applied (no dropout): runs one
    /// sequence's `tokens`, appending to `cache`, and returns the evaluated logits.
    /// - Throws: the same errors as ``step(_:cache:lastPositionOnly:)``.
    public func step(_ tokens: [Int32], cache: KVCache, adapters: ParameterTree, lora: LoRAConfig,
                     lastPositionOnly: Bool = true) throws -> Tensor {
        try step(tokens, cache: cache, adapters: Adapters(tree: adapters, lora: lora, dropoutKey: nil),
                 lastPositionOnly: lastPositionOnly)
    }
}
