import Foundation

/// One recipe value that differs between the recipe stored in a checkpoint and the recipe a
/// resumed run would use (`graft train --resume RUN` with a recipe file or `--set`).
public struct RecipeChange: Sendable, Equatable {
    /// How far a change takes the run from the one the checkpoint belongs to.
    public enum Kind: Sendable, Equatable {
        /// A setting of how training goes on (learning rate, length, evaluation, …): allowed, with
        /// a warning.
        case setting
        /// The resumed run would be another run (another data order, base quantization, adapter
        /// scale or optimizer): refused unless `--force`.
        case differentRun(reason: String)
        /// The checkpoint's adapters cannot fill adapters of the new shape (rank, targets,
        /// layers, DoRA): refused, even with `--force`.
        case adapterShape
    }

    /// The recipe key (`optimizer.lr`).
    public let keyPath: String
    /// The value stored in the checkpoint, as the recipe summary prints it.
    public let old: String
    /// The value the resumed run would use.
    public let new: String
    /// Whether the change is allowed.
    public let kind: Kind

    /// `warning: optimizer.lr changed 0.0001 → 0.0002`.
    public var warning: String { "warning: \(keyPath) changed \(old) → \(new)" }

    /// Keys whose change makes another run, with what they change.
    static let differentRunReasons: [String: String] = [
        "model.quantize.bits": "the base weights the adapters were trained on",
        "model.quantize.group_size": "the base weights the adapters were trained on",
        "data.dir": "the training data, so the saved data position means nothing",
        "train.seed": "the data order and dropout keys",
        "train.batch_size": "the data order, so the saved data position means nothing",
        "train.length_window": "the data order, so the saved data position means nothing",
        "lora.alpha": "the adapters' scale, so the trained adapters' effect jumps",
        "optimizer.name": "the optimizer, whose saved state belongs to the old one",
    ]
    /// Keys that fix the adapters' tensors.
    static let adapterShapeKeys: Set<String> = ["lora.rank", "lora.targets", "lora.layers", "lora.dora"]
}

extension Recipe {
    /// Every resolved value (defaults included) by recipe key, in documentation order.
    /// `train.iters`/`train.epochs` show "unset" for the one not used; the schedule's
    /// `min_lr_ratio` is folded into `schedule.min_lr`, which is left out for a constant schedule.
    public var resolvedValues: [(keyPath: String, value: String)] {
        func n(_ x: Double) -> String { RecipeFormat.number(x) }
        var values: [(String, String)] = [
            ("model.path", model.path),
            ("model.quantize.bits", model.quantize.map { String($0.bits) } ?? "none"),
            ("model.quantize.group_size", model.quantize.map { String($0.groupSize) } ?? "none"),
            ("data.dir", data.dir), ("data.format", data.format.rawValue), ("data.mask_prompt", "\(data.maskPrompt)"),
            ("lora.rank", String(lora.rank)), ("lora.alpha", n(lora.alpha)), ("lora.dropout", n(lora.dropout)),
            ("lora.targets", "[" + lora.targets.map(\.rawValue).joined(separator: ", ") + "]"),
            ("lora.layers", { if case .top(let k) = lora.layers { return String(k) } else { return "all" } }()),
            ("lora.dora", "\(lora.dora)"),
            ("optimizer.name", optimizer.name.rawValue), ("optimizer.lr", n(optimizer.lr)),
            ("optimizer.betas", "[\(n(optimizer.beta1)), \(n(optimizer.beta2))]"), ("optimizer.eps", n(optimizer.eps)),
            ("optimizer.weight_decay", n(optimizer.weightDecay)), ("optimizer.bias_correction", "\(optimizer.biasCorrection)"),
            ("optimizer.momentum", n(optimizer.momentum)),
            ("schedule.name", schedule.name.rawValue), ("schedule.warmup", String(schedule.warmup)),
            ("schedule.warmup_init", n(schedule.warmupInit)),
        ]
        // A constant schedule never reaches its end rate (which defaults to a fraction of lr).
        if schedule.name != .constant { values.append(("schedule.min_lr", n(schedule.minLR))) }
        switch train.length {
        case .iters(let k): values += [("train.iters", String(k)), ("train.epochs", "unset")]
        case .epochs(let k): values += [("train.iters", "unset"), ("train.epochs", String(k))]
        }
        values += [
            ("train.batch_size", String(train.batchSize)), ("train.max_seq_length", String(train.maxSeqLength)),
            ("train.seed", String(train.seed)), ("train.grad_accumulation", String(train.gradAccumulation)),
            ("train.grad_clip", train.gradClip.map(n) ?? "off"), ("train.length_window", String(train.lengthWindow)),
            ("eval.every", String(eval.every)), ("eval.batches", eval.batches.map(String.init) ?? "all"),
            ("checkpoint.dir", checkpoint.dir), ("checkpoint.every", String(checkpoint.every)),
            ("checkpoint.keep_last", String(checkpoint.keepLast)), ("checkpoint.keep_best", "\(checkpoint.keepBest)"),
            ("report.every", String(report.every)),
        ]
        return values
    }

    /// The values that differ from `stored` (the recipe a checkpoint carries), key by key in
    /// documentation order, each classified (``RecipeChange/Kind``).
    public func changes(from stored: Recipe) -> [RecipeChange] {
        let old = Dictionary(uniqueKeysWithValues: stored.resolvedValues.map { ($0.keyPath, $0.value) })
        return resolvedValues.compactMap { key, value in
            guard let before = old[key], before != value else { return nil }
            let kind: RecipeChange.Kind
            if RecipeChange.adapterShapeKeys.contains(key) {
                kind = .adapterShape
            } else if let reason = RecipeChange.differentRunReasons[key] {
                kind = .differentRun(reason: reason)
            } else {
                kind = .setting
            }
            return RecipeChange(keyPath: key, old: before, new: value, kind: kind)
        }
    }
}

/// `graft train --resume` refused: the recipe changes what the run is.
public struct ResumeRefusal: Error, CustomStringConvertible, LocalizedError {
    /// The checkpoint that was not resumed (left untouched).
    public let checkpoint: String
    /// The changes that block the resume.
    public let changes: [RecipeChange]

    /// Whether `--force` would let the run go on (no adapter-shape change).
    public var canForce: Bool { !changes.contains { $0.kind == .adapterShape } }

    public var description: String {
        var lines = ["refusing to resume from \(checkpoint): the recipe makes it another run:"]
        for change in changes {
            let why: String
            switch change.kind {
            case .differentRun(let reason): why = reason
            case .adapterShape: why = "the shape of the adapters saved in the checkpoint"
            case .setting: why = "a setting"
            }
            lines.append("  \(change.keyPath) \(change.old) → \(change.new) changes \(why)")
        }
        if canForce {
            lines.append("Start a new run (another checkpoint.dir), put the stored values back, or pass --force to continue anyway.")
        } else {
            lines.append("The saved adapters cannot take another shape, even with --force: start a new run with another checkpoint.dir.")
        }
        return lines.joined(separator: "\n")
    }

    public var errorDescription: String? { description }

    /// Throws when `changes` hold a change that makes another run (unless `force`) or one of
    /// the adapters' shape (always).
    public static func check(_ changes: [RecipeChange], checkpoint: String, force: Bool) throws {
        let blocking = changes.filter { change in
            switch change.kind {
            case .setting: return false
            case .differentRun: return !force
            case .adapterShape: return true
            }
        }
        if !blocking.isEmpty { throw ResumeRefusal(checkpoint: checkpoint, changes: blocking) }
    }
}
