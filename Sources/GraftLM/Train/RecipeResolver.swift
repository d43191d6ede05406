import Foundation

/// Fills in defaults and applies the rules that involve several keys (iters XOR epochs,
/// optimizer keys that do not apply to the chosen optimizer, schedule bounds, …).
struct RecipeResolver {
    let document: RecipeDocument

    // Defaults (documented in recipes/README.md).
    static let defaultTargets = Recipe.LoRATarget.allCases
    static let defaultIters = 1000

    func recipe() throws -> Recipe {
        let name = URL(fileURLWithPath: document.source).deletingPathExtension().lastPathComponent
        let model = Recipe.ModelSection(
            path: try requiredText("model.path"),
            quantize: document.groups["model.quantize"] == nil ? nil : Recipe.Quantization(
                bits: integer("model.quantize.bits") ?? 4, groupSize: integer("model.quantize.group_size") ?? 64))
        let data = Recipe.DataSection(
            dir: try requiredText("data.dir"),
            format: text("data.format").flatMap(Recipe.DataFormat.init(rawValue:)) ?? .auto,
            maskPrompt: boolean("data.mask_prompt") ?? false)
        if data.maskPrompt, data.format == .text, let entry = document["data.mask_prompt"] {
            throw RecipeError(.conflict, at: entry.location, keyPath: "data.mask_prompt",
                              "text records have no prompt to mask (data.format is text)")
        }
        let lora = Recipe.LoRASection(
            rank: integer("lora.rank") ?? 8,
            alpha: number("lora.alpha") ?? 16,
            dropout: number("lora.dropout") ?? 0,
            targets: list("lora.targets").map { names in
                Recipe.LoRATarget.allCases.filter { names.contains($0.rawValue) }
            } ?? Self.defaultTargets,
            layers: layers(),
            dora: boolean("lora.dora") ?? false)
        let optimizer = try optimizerSection()
        let train = try trainSection()
        let schedule = try scheduleSection(optimizer: optimizer, train: train)
        let eval = Recipe.EvalSection(every: integer("eval.every") ?? 200, batches: evalBatches())
        let checkpoint = Recipe.CheckpointSection(
            dir: text("checkpoint.dir") ?? "checkpoints/\(name)",
            every: integer("checkpoint.every") ?? 100,
            keepLast: integer("checkpoint.keep_last") ?? 3,
            keepBest: boolean("checkpoint.keep_best") ?? true)
        return Recipe(name: name, source: document.source, overrides: document.overrides, model: model,
                      data: data, lora: lora, optimizer: optimizer, schedule: schedule, train: train,
                      eval: eval, checkpoint: checkpoint,
                      report: Recipe.ReportSection(every: integer("report.every") ?? 10))
    }

    private func optimizerSection() throws -> Recipe.OptimizerSection {
        let name = text("optimizer.name").flatMap(Recipe.OptimizerName.init(rawValue:)) ?? .adamw
        let adamOnly = ["optimizer.betas", "optimizer.eps", "optimizer.bias_correction"]
        switch name {
        case .sgd:
            for key in adamOnly { try notApplicable(key, "applies only to adam and adamw (optimizer.name is sgd)") }
        case .adam, .adamw:
            try notApplicable("optimizer.momentum", "applies only to sgd (optimizer.name is \(name.rawValue))")
        }
        if name == .adam, let decay = number("optimizer.weight_decay"), decay != 0 {
            throw RecipeError(.conflict, at: document["optimizer.weight_decay"]!.location, keyPath: "optimizer.weight_decay",
                              "adam has no weight decay; use name: adamw for decoupled weight decay")
        }
        var betas = (0.9, 0.999)
        if case .pair(let b1, let b2)? = document["optimizer.betas"]?.value { betas = (b1, b2) }
        return Recipe.OptimizerSection(
            name: name, lr: number("optimizer.lr") ?? 1e-4, beta1: betas.0, beta2: betas.1,
            eps: number("optimizer.eps") ?? 1e-8,
            weightDecay: number("optimizer.weight_decay") ?? (name == .adamw ? 0.01 : 0),
            biasCorrection: boolean("optimizer.bias_correction") ?? true,
            momentum: number("optimizer.momentum") ?? 0)
    }

    private func trainSection() throws -> Recipe.TrainSection {
        let length: Recipe.TrainLength
        switch (integer("train.iters"), integer("train.epochs")) {
        case (_?, _?):
            let (first, second) = ordered("train.iters", "train.epochs")
            throw RecipeError(.conflict, at: document[second]!.location, keyPath: second,
                              "set either train.iters or train.epochs, not both (\(first) is set at \(document[first]!.location))")
        case let (iters?, nil): length = .iters(iters)
        case let (nil, epochs?): length = .epochs(epochs)
        case (nil, nil): length = .iters(Self.defaultIters)
        }
        var clip: Double?
        if case .number(let x)? = document["train.grad_clip"]?.value { clip = x }
        return Recipe.TrainSection(
            length: length, batchSize: integer("train.batch_size") ?? 4,
            maxSeqLength: integer("train.max_seq_length") ?? 2048,
            seed: UInt64(integer("train.seed") ?? 0),
            gradAccumulation: integer("train.grad_accumulation") ?? 1, gradClip: clip,
            lengthWindow: integer("train.length_window") ?? BatchIterator.defaultWindowBatches)
    }

    private func scheduleSection(optimizer: Recipe.OptimizerSection, train: Recipe.TrainSection) throws -> Recipe.ScheduleSection {
        let name = text("schedule.name").flatMap(Recipe.ScheduleName.init(rawValue:)) ?? .constant
        if name == .constant {
            for key in ["schedule.min_lr", "schedule.min_lr_ratio"] {
                try notApplicable(key, "applies only to the cosine and linear schedules (schedule.name is constant)")
            }
        }
        if document["schedule.min_lr"] != nil, document["schedule.min_lr_ratio"] != nil {
            let (first, second) = ordered("schedule.min_lr", "schedule.min_lr_ratio")
            throw RecipeError(.conflict, at: document[second]!.location, keyPath: second,
                              "set either schedule.min_lr or schedule.min_lr_ratio, not both (\(first) is set at \(document[first]!.location))")
        }
        let lr = optimizer.lr
        let minLR = number("schedule.min_lr") ?? (number("schedule.min_lr_ratio").map { $0 * lr } ?? 0)
        try atMostLR("schedule.min_lr", lr)
        let warmupInit = number("schedule.warmup_init") ?? 0
        try atMostLR("schedule.warmup_init", lr)
        let warmup = integer("schedule.warmup") ?? 0
        if case .iters(let iters) = train.length, warmup > iters {
            throw RecipeError(.invalidValue, at: document["schedule.warmup"]!.location, keyPath: "schedule.warmup",
                              "\(warmup) warmup steps do not fit in train.iters (\(iters))")
        }
        return Recipe.ScheduleSection(name: name, warmup: warmup, warmupInit: warmupInit, minLR: name == .constant ? lr : minLR)
    }

    private func atMostLR(_ path: String, _ lr: Double) throws {
        if let x = number(path), x > lr {
            throw RecipeError(.invalidValue, at: document[path]!.location, keyPath: path,
                              "\(RecipeFormat.number(x)) exceeds optimizer.lr (\(RecipeFormat.number(lr)))")
        }
    }

    private func notApplicable(_ path: String, _ message: String) throws {
        if let entry = document[path] { throw RecipeError(.conflict, at: entry.location, keyPath: path, message) }
    }

    /// Two set keys, the one written (or overridden) later second.
    private func ordered(_ a: String, _ b: String) -> (String, String) {
        func rank(_ path: String) -> (Int, Int, Int) {
            switch document[path]!.location {
            case let .file(_, line, column): return (0, line, column)
            case .wholeFile: return (0, 0, 0)
            case .override(let argument): return (1, document.overrides.lastIndex(of: argument) ?? 0, 0)
            }
        }
        return rank(a) <= rank(b) ? (a, b) : (b, a)
    }

    private func layers() -> Recipe.LayerSelection {
        switch document["lora.layers"]?.value {
        case .all?: return .all
        case .integer(let n)?: return .top(n)
        default: return .top(16)
        }
    }

    private func evalBatches() -> Int? {
        switch document["eval.batches"]?.value {
        case .all?: return nil
        case .integer(let n)?: return n
        default: return 25
        }
    }

    private func requiredText(_ path: String) throws -> String {
        if let value = text(path) { return value }
        let section = String(path.split(separator: ".")[0])
        throw RecipeError(.missingKey, at: document.groups[section] ?? .wholeFile(path: document.source), keyPath: path,
                          "required key is missing (write it under \(section): or pass --set \(path)=…)")
    }

    private func integer(_ path: String) -> Int? {
        if case .integer(let n)? = document[path]?.value { return n }
        return nil
    }

    private func number(_ path: String) -> Double? {
        if case .number(let x)? = document[path]?.value { return x }
        return nil
    }

    private func boolean(_ path: String) -> Bool? {
        if case .boolean(let b)? = document[path]?.value { return b }
        return nil
    }

    private func text(_ path: String) -> String? {
        if case .text(let s)? = document[path]?.value { return s }
        return nil
    }

    private func list(_ path: String) -> [String]? {
        if case .list(let l)? = document[path]?.value { return l }
        return nil
    }
}
