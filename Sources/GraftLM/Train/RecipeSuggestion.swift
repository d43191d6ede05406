/// "Did you mean …?" for misspelt recipe keys and values.
enum RecipeSuggestion {
    /// Names used by mlx-lm, PEFT, torchtune or Hugging Face for a recipe key, by section
    /// ("" = top level). Checked before spelling distance, which cannot relate
    /// `learning_rate` to `lr`.
    static let synonyms: [String: [String: String]] = [
        "": ["training": "train", "optim": "optimizer", "lr_schedule": "schedule", "scheduler": "schedule",
             "evaluation": "eval", "validation": "eval", "checkpoints": "checkpoint", "save": "checkpoint",
             "dataset": "data", "adapter": "lora", "lora_parameters": "lora", "logging": "report"],
        "model": ["model": "path", "file": "path", "quantization": "quantize"],
        "model.quantize": ["group": "group_size", "groupsize": "group_size", "q_group_size": "group_size",
                           "q_bits": "bits"],
        "data": ["path": "dir", "data_dir": "dir", "directory": "dir", "train_on_input": "mask_prompt"],
        "lora": ["r": "rank", "lora_alpha": "alpha", "scale": "alpha", "lora_dropout": "dropout",
                 "keys": "targets", "target_modules": "targets", "modules": "targets",
                 "num_layers": "layers", "use_dora": "dora"],
        "optimizer": ["learning_rate": "lr", "type": "name", "beta1": "betas", "beta2": "betas",
                      "epsilon": "eps", "wd": "weight_decay"],
        "schedule": ["warmup_steps": "warmup", "type": "name", "min_lr_rate": "min_lr_ratio",
                     "end_lr": "min_lr", "final_lr": "min_lr"],
        "train": ["steps": "iters", "max_steps": "iters", "num_iters": "iters", "num_epochs": "epochs",
                  "seq_len": "max_seq_length", "max_length": "max_seq_length", "max_seq_len": "max_seq_length",
                  "grad_accumulation_steps": "grad_accumulation", "gradient_accumulation_steps": "grad_accumulation",
                  "max_grad_norm": "grad_clip", "clip_grad_norm": "grad_clip", "batch": "batch_size"],
        "eval": ["steps_per_eval": "every", "interval": "every", "val_batches": "batches"],
        "checkpoint": ["save_every": "every", "path": "dir", "adapter_path": "dir", "output_dir": "dir",
                       "keep": "keep_last"],
        "report": ["steps_per_report": "every", "interval": "every"],
    ]

    /// The candidate closest to `typed`, if it is close enough to be a likely misspelling
    /// (or a known synonym in `section`).
    static func closest(to typed: String, in candidates: [String], section: String? = nil) -> String? {
        if let section, let synonym = synonyms[section]?[typed], candidates.contains(synonym) { return synonym }
        let lowered = typed.lowercased()
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let d = distance(lowered, candidate.lowercased())
            if d < (best?.distance ?? .max) { best = (candidate, d) }
        }
        guard let best else { return nil }
        let limit = max(1, min(3, max(typed.count, best.name.count) / 3))
        return best.distance <= limit && best.distance < max(typed.count, best.name.count) ? best.name : nil
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and transpositions
    /// of adjacent characters each cost 1 (`rnak` → `rank` is 1).
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        let width = y.count + 1
        var table = [Int](repeating: 0, count: (x.count + 1) * width)
        for i in 0...x.count { table[i * width] = i }
        for j in 0...y.count { table[j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var d = min(table[(i - 1) * width + j] + 1, table[i * width + j - 1] + 1,
                            table[(i - 1) * width + j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d = min(d, table[(i - 2) * width + j - 2] + 1)
                }
                table[i * width + j] = d
            }
        }
        return table[x.count * width + y.count]
    }
}
