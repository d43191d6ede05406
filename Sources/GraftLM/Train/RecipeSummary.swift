extension Recipe {
    /// The resolved recipe, one line per section, every value shown (defaults included), e.g.
    /// `lora        rank 8, alpha 16 → scale 2 (alpha/rank), dropout 0, …`.
    public var summary: String {
        func n(_ x: Double) -> String { RecipeFormat.number(x) }
        func row(_ section: String, _ text: String) -> String {
            section.padding(toLength: 12, withPad: " ", startingAt: 0) + text
        }
        let quantize = model.quantize.map { "quantized on load to \($0.bits) bits, group size \($0.groupSize)" }
            ?? "weights as stored in the file"
        let opt: String
        switch optimizer.name {
        case .adamw, .adam:
            opt = "\(optimizer.name.rawValue), lr \(n(optimizer.lr)), betas [\(n(optimizer.beta1)), \(n(optimizer.beta2))], "
                + "eps \(n(optimizer.eps)), weight_decay \(n(optimizer.weightDecay)), bias_correction \(optimizer.biasCorrection)"
        case .sgd:
            opt = "sgd, lr \(n(optimizer.lr)), momentum \(n(optimizer.momentum)), weight_decay \(n(optimizer.weightDecay))"
        }
        let warm = schedule.warmup > 0
            ? "warmup \(schedule.warmup) steps from \(n(schedule.warmupInit)) to \(n(optimizer.lr)), then " : ""
        let sched: String
        switch schedule.name {
        case .constant: sched = "constant: \(warm)\(n(optimizer.lr))"
        case .cosine, .linear:
            sched = "\(schedule.name.rawValue): \(warm)\(schedule.warmup > 0 ? "" : "from \(n(optimizer.lr)) ")"
                + "to \(n(schedule.minLR)) at the last step"
        }
        let effective = train.batchSize * train.gradAccumulation
        var lines = ["recipe      \(name) (\(source)" + (overrides.isEmpty ? ")" : "; --set " + overrides.joined(separator: " --set ") + ")")]
        lines.append(row("model", "\(model.path), \(quantize)"))
        lines.append(row("data", "\(data.dir), format \(data.format.rawValue), mask_prompt \(data.maskPrompt)"))
        lines.append(row("lora", "rank \(lora.rank), alpha \(n(lora.alpha)) → scale \(n(lora.scale)) (alpha/rank), "
            + "dropout \(n(lora.dropout)), targets \(lora.targets.map(\.rawValue).joined(separator: " ")), "
            + "\(lora.layers), dora \(lora.dora)"))
        lines.append(row("optimizer", opt))
        lines.append(row("schedule", sched))
        lines.append(row("train", "\(train.length), batch_size \(train.batchSize), max_seq_length \(train.maxSeqLength), "
            + "seed \(train.seed), grad_accumulation \(train.gradAccumulation) (effective batch \(effective)), "
            + "grad_clip " + (train.gradClip.map(n) ?? "off")))
        lines.append(row("eval", "every \(eval.every) steps, " + (eval.batches.map { "\($0) batches" } ?? "all batches")))
        lines.append(row("checkpoint", "\(checkpoint.dir), every \(checkpoint.every) steps, "
            + "keep_last \(checkpoint.keepLast == 0 ? "all" : String(checkpoint.keepLast)), keep_best \(checkpoint.keepBest)"))
        lines.append(row("report", "every \(report.every) steps"))
        return lines.joined(separator: "\n")
    }
}
