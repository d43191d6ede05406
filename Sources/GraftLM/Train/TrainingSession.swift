import Foundation
import Graft
import GraftIO

/// Everything `graft train` does before the first step: the recipe (from its file, or from a
/// checkpoint when resuming), the model, the dataset and the trainer, plus the summary shown
/// before training.
public struct TrainingSession {
    public let recipe: Recipe
    public let model: LoadedModel
    public let dataset: Dataset
    public let trainer: Trainer

    /// - Parameters:
    ///   - recipePath: the recipe file; nil when resuming from a checkpoint that carries one.
    ///   - overrides: `key.path=value` overrides (`--set`).
    ///   - resume: a checkpoint file or run folder to continue.
    ///   - force: resume even when the recipe makes it another run (``RecipeChange/Kind/differentRun(reason:)``)
    ///     or the checkpoint belongs to another base model.
    ///   - warn: receives one `warning: key changed old → new` line per recipe value that differs
    ///     from the checkpoint's recipe (standard error by default).
    /// - Throws: ``ResumeRefusal`` before anything is loaded or written when the recipe changes
    ///   what the run is; ``RecipeError``, ``CheckpointError``, ``ModelError``, ``DatasetError``.
    public init(recipePath: String?, overrides: [String], resume: String?, force: Bool = false,
                reporter: ProgressReporter? = nil, log: @escaping (String) -> Void = { print($0) },
                warn: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws {
        let checkpoint = try resume.map(CheckpointDirectory.resolve)
        let stored = try checkpoint.map { try Recipe.stored(in: TrainingCheckpoint(contentsOf: $0), at: $0) }
        if let recipePath {
            recipe = try Recipe.load(path: recipePath, overrides: overrides)
        } else if let checkpoint {
            recipe = try Recipe.stored(in: TrainingCheckpoint(contentsOf: checkpoint), at: checkpoint, overrides: overrides)
        } else {
            throw RecipeError(.unreadable, at: .wholeFile(path: "graft train"), keyPath: "",
                              "give a recipe file, or --resume with a checkpoint")
        }
        if let stored, let checkpoint {
            let changes = recipe.changes(from: stored)
            for change in changes { warn(change.warning) }
            try ResumeRefusal.check(changes, checkpoint: checkpoint.path, force: force)
        }
        let modelURL = try ModelLocator.resolve(recipe.model.path)
        guard FileManager.default.fileExists(atPath: modelURL.path) else {
            throw ModelError.invalidInput("model file not found: \(modelURL.path) (recipe key model.path; fetch the default model with scripts/fetch-model.sh)")
        }
        let quantize = try recipe.model.quantize.map { try QuantizeOption(bits: $0.bits, groupSize: $0.groupSize) }
        model = try LoadedModel.load(path: modelURL, quantize: quantize)
        let encoder = ExampleEncoder(tokenizer: model.tokenizer, chatTemplate: model.chatTemplate, maskPrompt: recipe.data.maskPrompt)
        dataset = try Dataset(directory: recipe.data.dir, encoder: encoder, maxSequenceLength: recipe.train.maxSeqLength)
        try Self.checkFormat(recipe.data.format, dataset)
        trainer = try Trainer(recipe: recipe, model: model.model, dataset: dataset, resume: checkpoint, force: force,
                              reporter: reporter, log: log)
    }

    static func checkFormat(_ format: Recipe.DataFormat, _ dataset: Dataset) throws {
        let expected: RecordFormat?
        switch format {
        case .auto: expected = nil
        case .text: expected = .text
        case .completions: expected = .completion
        case .chat: expected = .messages
        }
        for split in dataset.splits where expected != nil && split.format != expected {
            throw DatasetError(.mixedFormats(expected: expected!, found: split.format), file: split.path, line: 1,
                               detail: "records are \(split.format), but the recipe sets data.format: \(format.rawValue)")
        }
    }

    /// What the run will do: the recipe, trainable vs total parameters, targets, and a memory estimate.
    public var summary: String {
        let trainable = trainer.trainableParameterCount
        let total = model.model.baseParameterCount
        let base = model.model.baseByteCount
        // Adapters, their gradients and two optimizer moments in float32.
        let adapterBytes = trainable * 4 * 4
        // Activations kept for the backward pass: roughly 24 float32 values per hidden unit per
        // token per layer, plus logits and their gradient.
        let c = model.model.config
        let tokens = recipe.train.batchSize * recipe.train.maxSeqLength
        let activations = tokens * c.hiddenSize * c.layerCount * 24 * 4 + tokens * c.vocabularySize * 4 * 3
        func gb(_ b: Int) -> String { String(format: "%.2f GB", Double(b) / 1e9) }
        var lines = [recipe.summary]
        lines.append(String(format: "parameters  %.3fM trainable of %.1fM (%.3f%%)", Double(trainable) / 1e6, Double(total) / 1e6,
                            100 * Double(trainable) / Double(max(total, 1))))
        lines.append("data        \(dataset.train.count) train / \(dataset.valid.count) valid / \(dataset.test?.count ?? 0) test examples"
                     + (dataset.train.truncatedCount > 0 ? ", \(dataset.train.truncatedCount) truncated to \(recipe.train.maxSeqLength) tokens" : ""))
        lines.append("steps       \(trainer.totalSteps) updates (\(trainer.batches.batchesPerEpoch) batches per epoch)")
        lines.append("memory      ~\(gb(base + adapterBytes + activations)) estimated (base weights \(gb(base)), adapters+optimizer \(gb(adapterBytes)), activations ≤ \(gb(activations)))")
        return lines.joined(separator: "\n")
    }
}
