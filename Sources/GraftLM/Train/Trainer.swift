import Foundation
import Graft
import GraftIO
import GraftNN
import GraftOptim

/// LoRA fine-tuning of a frozen base model, driven by a recipe.
///
/// One update = `grad_accumulation` micro-batches (gradients averaged by trained tokens, so the
/// result equals the big batch's masked mean), optional clipping, the scheduled learning rate,
/// and the optimizer step, all evaluated in one pass of the lazy graph. Dropout keys, data
/// order and the schedule are functions of (seed, step), so a resumed run continues exactly.
public final class Trainer {
    public let recipe: Recipe
    public let model: AdaptableModel
    public let dataset: Dataset
    public let lora: LoRAConfig
    public let totalSteps: Int
    public let runDirectory: CheckpointDirectory
    public internal(set) var adapters: ParameterTree
    public internal(set) var step = 0
    public internal(set) var metrics = TrainingMetrics()
    public let reporter: ProgressReporter
    let optimizer: any Optimizer
    let schedule: LearningRateSchedule
    var batches: BatchIterator
    let key: RandomKey
    /// Where human-readable lines go (progress, reports, warnings).
    public var log: (String) -> Void

    /// Sets up a run: adapters on the recipe's targets, optimizer, schedule and data order, or
    /// everything restored from `resume` (a checkpoint file of this same base model; another
    /// base only with `force`).
    public init(recipe: Recipe, model: AdaptableModel, dataset: Dataset, resume: URL? = nil, force: Bool = false,
                reporter: ProgressReporter? = nil, log: @escaping (String) -> Void = { print($0) }) throws {
        self.recipe = recipe
        self.model = model
        self.dataset = dataset
        self.log = log
        lora = LoRAConfig(rank: recipe.lora.rank, alpha: recipe.lora.alpha, dropout: recipe.lora.dropout, dora: recipe.lora.dora)
        key = RandomKey(seed: recipe.train.seed)
        batches = BatchIterator(split: dataset.train, batchSize: recipe.train.batchSize, seed: recipe.train.seed,
                                windowBatches: recipe.train.lengthWindow)
        totalSteps = recipe.totalUpdates(microBatchesPerEpoch: batches.batchesPerEpoch)
        schedule = recipe.makeSchedule(totalUpdates: totalSteps)
        optimizer = recipe.makeOptimizer()
        runDirectory = CheckpointDirectory(url: URL(fileURLWithPath: recipe.checkpoint.dir),
                                           keepLast: recipe.checkpoint.keepLast, keepBest: recipe.checkpoint.keepBest)
        self.reporter = reporter ?? ProgressReporter(totalSteps: totalSteps)
        let layers: [Int]
        switch recipe.lora.layers {
        case .all: layers = Array(0..<model.layerCount)
        case .top(let n): layers = Array(max(0, model.layerCount - n)..<model.layerCount)
        }
        adapters = try model.makeAdapters(modules: recipe.lora.targets.map(\.modulePath), layers: layers, lora: lora,
                                          key: key.folded(with: -1))
        eval(adapters.tensors)
        if let resume { try restore(from: resume, force: force) }
    }

    /// Trainable parameters (adapters).
    public var trainableParameterCount: Int { adapters.parameterCount }

    /// Bytes of freed tensor memory kept for reuse while training. A step's buffers come in
    /// many sizes that recur only in the next step; keeping them would add their total to the
    /// resident memory for no measurable speed (SmolLM2 quickstart: peak RSS 0.95 → 0.75 GB
    /// with no cache, at the same tokens/s).
    public static let allocatorCacheLimit = 0

    /// Runs to the end (or until Ctrl-C / a non-finite loss); saves checkpoints as the recipe
    /// says and a final one. Returns how the run ended.
    public func run() throws -> TrainingOutcome {
        TrainingSignals.install()
        let previousCacheLimit = Allocator.cacheLimit
        Allocator.cacheLimit = Self.allocatorCacheLimit
        defer { Allocator.cacheLimit = previousCacheLimit }
        reporter.start(at: step)
        let start = Date()
        var window = (time: Date(), steps: 0, tokens: 0, realTokens: 0, loss: 0.0)
        while step < totalSteps {
            let (loss, tokens, realTokens) = try update()
            guard loss.isFinite else {
                reporter.line("step \(step + 1): loss is \(loss); stopping. The last good checkpoint is kept"
                              + (runDirectory.stepFiles().last.map { " (\($0))" } ?? " (none was saved yet)") + ".")
                return .diverged(step: step + 1)
            }
            step += 1
            window.steps += 1
            window.tokens += tokens
            window.realTokens += realTokens
            window.loss += loss
            reporter.update(step: step, loss: loss)
            if step % recipe.report.every == 0 || step == totalSteps {
                let seconds = Date().timeIntervalSince(window.time)
                let record = MetricsRecord(kind: .train, step: step, loss: window.loss / Double(window.steps),
                                           learningRate: optimizer.learningRate,
                                           iterationsPerSecond: Double(window.steps) / seconds,
                                           tokensPerSecond: Double(window.realTokens) / seconds, trainedTokens: window.tokens,
                                           peakMemoryBytes: ProcessMemory.peakResidentBytes(),
                                           elapsedSeconds: Date().timeIntervalSince(start))
                self.record(record)
                window = (Date(), 0, 0, 0, 0)
            }
            var validation: Double?
            if step % recipe.eval.every == 0 || step == totalSteps {
                validation = evaluate(dataset.valid, batches: recipe.eval.batches)
                record(MetricsRecord(kind: .validation, step: step, loss: validation!))
                try writeRunFiles()
            }
            if step % recipe.checkpoint.every == 0 || step == totalSteps || TrainingSignals.stopRequested {
                guard adaptersAreFinite() else {
                    reporter.line("step \(step): the adapters are no longer finite; stopping without saving. The last good checkpoint is kept"
                                  + (runDirectory.stepFiles().last.map { " (\($0))" } ?? " (none was saved yet)") + ".")
                    return .diverged(step: step)
                }
                let file = try saveCheckpoint(validationLoss: validation)
                if TrainingSignals.stopRequested {
                    reporter.line("interrupted: saved \(file.path); resume with: graft train --resume \(runDirectory.url.path)")
                    return .interrupted(step: step)
                }
            }
        }
        if let test = dataset.test {
            record(MetricsRecord(kind: .test, step: step, loss: evaluate(test, batches: recipe.eval.batches)))
            try writeRunFiles()
        }
        return .completed(step: step)
    }

    /// One optimizer update; returns the mean loss of its micro-batches, the trained tokens and
    /// the real (unpadded) tokens processed.
    func update() throws -> (Double, Int, Int) {
        var accumulator = GradientAccumulator(microBatches: recipe.train.gradAccumulation)
        var lossSum = 0.0, tokens = 0, realTokens = 0
        for micro in 0..<recipe.train.gradAccumulation {
            let batch = batches.next()!
            let dropout = lora.dropout > 0 ? key.folded(with: step * recipe.train.gradAccumulation + micro) : nil
            let (loss, grads) = valueAndGrad(adapters) { p in
                self.model.loss(batch, adapters: p, lora: self.lora, dropoutKey: dropout)
            }
            let sums = try accumulator.add(grads, weight: Double(batch.tokenCount))
            eval([loss] + sums)
            lossSum += loss.item(Double.self) * Double(batch.tokenCount)
            tokens += batch.tokenCount
            realTokens += batch.realTokenCount
        }
        var grads = accumulator.average()!
        if let clip = recipe.train.gradClip { grads = clipGradientNorm(grads, maxNorm: clip).0 }
        schedule.apply(to: optimizer)
        adapters = optimizer.update(adapters, gradients: grads)
        eval(adapters.tensors + Array(optimizer.state.values))
        return (lossSum / Double(max(tokens, 1)), tokens, realTokens)
    }

    /// Token-weighted mean loss over `split` (first `batches` batches in length order; all when nil).
    public func evaluate(_ split: DatasetSplit, batches limit: Int?) -> Double {
        var iterator = BatchIterator(split: split, batchSize: recipe.train.batchSize, seed: 0, shuffle: false)
        let count = min(limit ?? iterator.batchesPerEpoch, iterator.batchesPerEpoch)
        var total = 0.0, tokens = 0
        for _ in 0..<count {
            let batch = iterator.next()!
            let loss = model.loss(batch, adapters: adapters, lora: lora, dropoutKey: nil)
            total += loss.item(Double.self) * Double(batch.tokenCount)
            tokens += batch.tokenCount
        }
        return total / Double(max(tokens, 1))
    }

    /// Whether every adapter value is finite (one reduction over all of them).
    func adaptersAreFinite() -> Bool {
        let tensors = adapters.tensors
        guard let first = tensors.first else { return true }
        let total = tensors.dropFirst().reduce(first.square().sum()) { $0 + $1.square().sum() }
        return total.item(Double.self).isFinite
    }

    func record(_ r: MetricsRecord) {
        metrics.append(r)
        reporter.line(ProgressReporter.format(r, totalSteps: totalSteps, eta: reporter.eta(at: step)))
    }
}

/// How a run ended.
public enum TrainingOutcome: Equatable, Sendable {
    case completed(step: Int)
    case interrupted(step: Int)
    case diverged(step: Int)
}
