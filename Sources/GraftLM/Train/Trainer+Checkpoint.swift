import Foundation
import Graft
import GraftIO

/// The Graft version written into checkpoints.
public let graftVersion = "0.1.0"

extension Trainer {
    /// Saves the full training state as the next step file of the run folder (atomically).
    @discardableResult
    func saveCheckpoint(validationLoss: Double?) throws -> URL {
        let checkpoint = TrainingCheckpoint(
            step: step, adapters: Dictionary(uniqueKeysWithValues: adapters.flattened().map { ($0.path, $0.tensor) }),
            optimizerName: recipe.optimizer.name.rawValue, optimizerStep: optimizer.step,
            optimizerHyperparameters: ["lr": recipe.optimizer.lr, "beta1": recipe.optimizer.beta1,
                                       "beta2": recipe.optimizer.beta2, "eps": recipe.optimizer.eps,
                                       "weight_decay": recipe.optimizer.weightDecay],
            optimizerState: optimizer.state, rngKey: key, dataEpoch: batches.position.epoch,
            dataIndex: batches.position.index, dataSeed: recipe.train.seed,
            recipe: recipe.checkpointText, metrics: metrics.jsonLines,
            graftVersion: graftVersion, baseFingerprint: model.fingerprint, validationLoss: validationLoss)
        return try runDirectory.save(checkpoint)
    }

    /// Restores adapters, optimizer, schedule position, data position and metrics. A checkpoint
    /// of another base model is refused unless `force`.
    func restore(from url: URL, force: Bool = false) throws {
        let c = try TrainingCheckpoint(contentsOf: url)
        if c.baseFingerprint != model.fingerprint {
            let problem = "belongs to another base model (fingerprint \(c.baseFingerprint), this model is \(model.fingerprint))"
            guard force else { throw CheckpointError(file: url.path, problem: problem + "; pass --force to continue on this model anyway") }
            log("warning: --force: \(url.path) \(problem)")
        }
        let expected = Set(adapters.flattened().map(\.path))
        guard Set(c.adapters.keys) == expected else {
            let missing = expected.subtracting(c.adapters.keys).sorted().prefix(3)
            let extra = Set(c.adapters.keys).subtracting(expected).sorted().prefix(3)
            throw CheckpointError(file: url.path, problem: "adapters do not match the recipe's LoRA targets (missing \(Array(missing)), unexpected \(Array(extra)))")
        }
        for (path, t) in c.adapters where adapters[path]!.shape != t.shape {
            throw CheckpointError(file: url.path, problem: "adapter \(path) has shape \(t.shape), the recipe makes \(adapters[path]!.shape)")
        }
        adapters = ParameterTree(flattened: c.adapters.map { ($0.key, $0.value) })
        do {
            try optimizer.restore(state: c.optimizerState, step: c.optimizerStep)
        } catch {
            throw CheckpointError(file: url.path, problem: "its \(c.optimizerName) state does not fit the recipe's \(recipe.optimizer.name.rawValue) optimizer: \(error)")
        }
        step = c.step
        batches.position = BatchPosition(epoch: c.dataEpoch, index: c.dataIndex)
        metrics = try TrainingMetrics(jsonLines: c.metrics)
        log("resumed from \(url.path) at step \(step) (\(batches.position))")
    }

    /// Writes `metrics.jsonl` and `loss.svg` into the run folder (atomically).
    func writeRunFiles() throws {
        try FileManager.default.createDirectory(at: runDirectory.url, withIntermediateDirectories: true)
        try AtomicFile.write(Data(metrics.jsonLines.utf8), to: runDirectory.url.appendingPathComponent("metrics.jsonl"))
        try AtomicFile.write(Data(LossCurve.svg(metrics).utf8), to: runDirectory.url.appendingPathComponent("loss.svg"))
    }
}
