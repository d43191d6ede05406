import Foundation

/// One training run described by a YAML file: model, data, LoRA, optimizer, schedule, training
/// length, evaluation, checkpoints and reporting. Every key is optional except `model.path` and
/// `data.dir`; recipes/README.md lists each key with its type, default and meaning.
///
/// Reading is strict: an unknown key, a value of the wrong type or out of range, or settings
/// that contradict each other fail before training with a `RecipeError` that names the place
/// (`file:line:column` or the `--set` argument), the key path, the allowed keys and a close
/// match when there is one.
public struct Recipe: Sendable, Equatable {
    /// The run's name: the recipe file's name without extension (`quickstart`).
    public var name: String
    /// Where the recipe came from (the file path as given).
    public var source: String
    /// The `--set` overrides applied on top of the file, in order.
    public var overrides: [String]
    /// The YAML text the recipe was read from (before overrides).
    public var text = ""
    /// The base model.
    public var model: ModelSection
    /// The dataset.
    public var data: DataSection
    /// The adapters.
    public var lora: LoRASection
    /// The optimizer.
    public var optimizer: OptimizerSection
    /// The learning-rate schedule.
    public var schedule: ScheduleSection
    /// Training length, batching and clipping.
    public var train: TrainSection
    /// Validation during training.
    public var eval: EvalSection
    /// Saving checkpoints.
    public var checkpoint: CheckpointSection
    /// Progress reports.
    public var report: ReportSection

    /// Every key path the schema accepts (`model.path`, `lora.rank`, …), in documentation order.
    public static var keyPaths: [String] { RecipeSchema.root.leafPaths() }

    /// Reads the recipe at `path` and applies `overrides` (each `key.path=value`).
    /// `environment` expands `${VAR}` in paths (the process environment by default).
    public static func load(path: String, overrides: [String] = [],
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Recipe {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read as UTF-8 text" : "no such file"
            throw RecipeError(.unreadable, at: .wholeFile(path: path), keyPath: "", "recipe \(reason)")
        }
        return try parse(yaml: text, source: path, overrides: overrides, environment: environment)
    }

    /// Reads a recipe from YAML text; `source` names it in errors and gives the run its name.
    public static func parse(yaml: String, source: String, overrides: [String] = [],
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Recipe {
        var document = try RecipeDocument(yaml: yaml, source: source, environment: environment)
        for argument in overrides { try document.applyOverride(argument) }
        var recipe = try RecipeResolver(document: document).recipe()
        recipe.text = yaml
        return recipe
    }
}

extension Recipe {
    /// `model:` — the base model file.
    public struct ModelSection: Sendable, Equatable {
        /// The model file (GGUF or a safetensors folder), `~` and `${VAR}` expanded; relative
        /// paths are relative to the working directory.
        public var path: String
        /// Quantize the base weights on load; nil keeps them as stored in the file.
        public var quantize: Quantization?

        /// A ModelSection with every value given.
        public init(path: String, quantize: Quantization?) {
            self.path = path
            self.quantize = quantize
        }
    }

    /// `model.quantize:` — affine quantization of the frozen base weights (QLoRA).
    public struct Quantization: Sendable, Equatable {
        /// Bits per weight: 4 or 8.
        public var bits: Int
        /// Weights per (scale, bias) group: 32 or 64.
        public var groupSize: Int

        /// A Quantization with every value given.
        public init(bits: Int, groupSize: Int) {
            self.bits = bits
            self.groupSize = groupSize
        }
    }

    /// How dataset records are read.
    public enum DataFormat: String, Sendable, CaseIterable {
        /// Decided from the first record's keys.
        case auto
        /// `{"text": …}`
        case text
        /// `{"prompt": …, "completion": …}`
        case completions
        /// `{"messages": [{"role": …, "content": …}, …]}`
        case chat
    }

    /// `data:` — the dataset folder.
    public struct DataSection: Sendable, Equatable {
        /// Folder with train.jsonl, valid.jsonl and (optionally) test.jsonl.
        public var dir: String
        /// Record format (auto-detected by default).
        public var format: DataFormat
        /// Leave the prompt's tokens out of the loss (completions and chat records).
        public var maskPrompt: Bool

        /// A DataSection with every value given.
        public init(dir: String, format: DataFormat, maskPrompt: Bool) {
            self.dir = dir
            self.format = format
            self.maskPrompt = maskPrompt
        }
    }

    /// A linear module of a Llama block that can carry an adapter.
    public enum LoRATarget: String, Sendable, CaseIterable {
        case q, k, v, o, gate, up, down

        /// The module's path inside a block (`self_attn.q_proj`).
        public var modulePath: String {
            switch self {
            case .q, .k, .v, .o: return "self_attn.\(rawValue)_proj"
            case .gate, .up, .down: return "mlp.\(rawValue)_proj"
            }
        }
    }

    /// Which transformer blocks get adapters.
    public enum LayerSelection: Sendable, Equatable, CustomStringConvertible {
        /// Every block.
        case all
        /// The last `n` blocks (nearest the output), like mlx-lm's `num_layers`.
        case top(Int)

        public var description: String {
            switch self {
            case .all: return "all layers"
            case .top(let n): return "top \(n) layers"
            }
        }
    }

    /// `lora:` — the adapters.
    public struct LoRASection: Sendable, Equatable {
        /// Rank r of A `[r, in]` and B `[out, r]`.
        public var rank: Int
        /// α; the update is scaled by α / r.
        public var alpha: Double
        /// Dropout on the adapter's input during training.
        public var dropout: Double
        /// Adapted modules, in the order q, k, v, o, gate, up, down.
        public var targets: [LoRATarget]
        /// Adapted blocks.
        public var layers: LayerSelection
        /// Train a DoRA magnitude vector as well.
        public var dora: Bool
        /// The factor applied to the adapter's output: α / r (mlx-lm's `scale`).
        public var scale: Double { alpha / Double(rank) }

        /// A LoRASection with every value given.
        public init(rank: Int, alpha: Double, dropout: Double, targets: [LoRATarget], layers: LayerSelection, dora: Bool) {
            self.rank = rank
            self.alpha = alpha
            self.dropout = dropout
            self.targets = targets
            self.layers = layers
            self.dora = dora
        }
    }

    /// Optimizer algorithms.
    public enum OptimizerName: String, Sendable, CaseIterable {
        /// Adam with decoupled weight decay (`torch.optim.AdamW`).
        case adamw
        /// Adam without weight decay.
        case adam
        /// Stochastic gradient descent with optional momentum and L2 weight decay.
        case sgd
    }

    /// `optimizer:` — the update rule.
    public struct OptimizerSection: Sendable, Equatable {
        /// The algorithm.
        public var name: OptimizerName
        /// Base (peak) learning rate.
        public var lr: Double
        /// Adam's β₁ (`betas[0]`).
        public var beta1: Double
        /// Adam's β₂ (`betas[1]`).
        public var beta2: Double
        /// Adam's ε (added after bias-correcting √v, as PyTorch does).
        public var eps: Double
        /// Decoupled (adamw) or L2 (sgd) weight decay; 0 for adam.
        public var weightDecay: Double
        /// Adam's bias correction (PyTorch: on; MLX's default: off).
        public var biasCorrection: Bool
        /// SGD momentum.
        public var momentum: Double

        /// A OptimizerSection with every value given.
        public init(name: OptimizerName, lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, biasCorrection: Bool, momentum: Double) {
            self.name = name
            self.lr = lr
            self.beta1 = beta1
            self.beta2 = beta2
            self.eps = eps
            self.weightDecay = weightDecay
            self.biasCorrection = biasCorrection
            self.momentum = momentum
        }
    }

    /// `schedule:` — how the learning rate moves over the run.
    public struct ScheduleSection: Sendable, Equatable {
        /// Shape after warmup.
        public var name: ScheduleName
        /// Linear warmup updates.
        public var warmup: Int
        /// Learning rate of the first warmup update.
        public var warmupInit: Double
        /// Rate at the end of a cosine or linear decay (absolute; from `min_lr` or `min_lr_ratio · lr`).
        public var minLR: Double

        /// A ScheduleSection with every value given.
        public init(name: ScheduleName, warmup: Int, warmupInit: Double, minLR: Double) {
            self.name = name
            self.warmup = warmup
            self.warmupInit = warmupInit
            self.minLR = minLR
        }
    }

    /// Schedule shapes (see `LearningRateSchedule`).
    public enum ScheduleName: String, Sendable, CaseIterable {
        case constant, cosine, linear
    }

    /// How long to train.
    public enum TrainLength: Sendable, Equatable, CustomStringConvertible {
        /// A number of optimizer updates.
        case iters(Int)
        /// Passes over the training set.
        case epochs(Int)

        public var description: String {
            switch self {
            case .iters(let n): return "\(n) iters"
            case .epochs(let n): return n == 1 ? "1 epoch" : "\(n) epochs"
            }
        }
    }

    /// `train:` — length, batching, seed, accumulation and clipping.
    public struct TrainSection: Sendable, Equatable {
        /// Updates or epochs.
        public var length: TrainLength
        /// Sequences per micro-batch.
        public var batchSize: Int
        /// Longer sequences are cut to this many tokens.
        public var maxSeqLength: Int
        /// Seed for initialisation, shuffling and dropout.
        public var seed: UInt64
        /// Micro-batches per optimizer update.
        public var gradAccumulation: Int
        /// Clip the global gradient norm to this value; nil: no clipping.
        public var gradClip: Double?
        /// Batches per length-sorted window of the shuffled order (1: random batches).
        public var lengthWindow: Int

        /// A TrainSection with every value given.
        public init(length: TrainLength, batchSize: Int, maxSeqLength: Int, seed: UInt64, gradAccumulation: Int, gradClip: Double?,
                    lengthWindow: Int = BatchIterator.defaultWindowBatches) {
            self.length = length
            self.batchSize = batchSize
            self.maxSeqLength = maxSeqLength
            self.seed = seed
            self.gradAccumulation = gradAccumulation
            self.gradClip = gradClip
            self.lengthWindow = lengthWindow
        }
    }

    /// `eval:` — validation loss during training.
    public struct EvalSection: Sendable, Equatable {
        /// Evaluate every this many updates (and after the last).
        public var every: Int
        /// Validation batches per evaluation; nil: the whole validation set.
        public var batches: Int?

        /// A EvalSection with every value given.
        public init(every: Int, batches: Int?) {
            self.every = every
            self.batches = batches
        }
    }

    /// `checkpoint:` — saved training state.
    public struct CheckpointSection: Sendable, Equatable {
        /// Folder for checkpoint files.
        public var dir: String
        /// Save every this many updates (and after the last).
        public var every: Int
        /// Keep only the newest this many; 0 keeps all.
        public var keepLast: Int
        /// Also keep the checkpoint with the lowest validation loss.
        public var keepBest: Bool

        /// A CheckpointSection with every value given.
        public init(dir: String, every: Int, keepLast: Int, keepBest: Bool) {
            self.dir = dir
            self.every = every
            self.keepLast = keepLast
            self.keepBest = keepBest
        }
    }

    /// `report:` — training progress lines.
    public struct ReportSection: Sendable, Equatable {
        /// Report loss, learning rate and speed every this many updates.
        public var every: Int

        /// A ReportSection with every value given.
        public init(every: Int) {
            self.every = every
        }
    }
}
