import Foundation
import Graft

/// A PEFT LoRA adapter folder (formats.md §6.3): `adapter_config.json` plus
/// `adapter_model.safetensors` with names such as
/// `base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight` `[r, in]`,
/// `….lora_B.weight` `[out, r]` and, with DoRA, `….lora_magnitude_vector` `[out]`, in Hugging
/// Face q/k row order.
public enum PEFTAdapterDirectory {
    /// The weights file inside the folder.
    public static let weightsFileName = "adapter_model.safetensors"
    /// The configuration file inside the folder.
    public static let configFileName = "adapter_config.json"
    static let prefix = "base_model.model."
    /// Graft leaf → PEFT suffix.
    static let leafNames = [("lora_a", "lora_A.weight"), ("lora_b", "lora_B.weight"), ("lora_magnitude", "lora_magnitude_vector")]

    /// The PEFT tensor name of a Graft key path (`model.layers.3.self_attn.q_proj.lora_a` →
    /// `base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight`), or nil.
    public static func tensorName(forKey key: String) -> String? {
        guard let parsed = LoRAAdapter.parseKey(key), let leaf = leafNames.first(where: { $0.0 == parsed.leaf }) else { return nil }
        return "\(prefix)model.layers.\(parsed.layer).\(parsed.module).\(leaf.1)"
    }

    /// The Graft key path of a PEFT tensor name, or nil for names that are not LoRA weights of a
    /// transformer block's linear module.
    public static func key(forTensorName name: String) -> String? {
        guard name.hasPrefix(prefix) else { return nil }
        let rest = String(name.dropFirst(prefix.count))
        for (leaf, suffix) in leafNames where rest.hasSuffix("." + suffix) {
            let key = String(rest.dropLast(suffix.count)) + leaf
            return LoRAAdapter.parseKey(key) != nil ? key : nil
        }
        return nil
    }

    /// Writes `adapter` as a PEFT folder at `url` (built in a temporary folder, then renamed).
    /// q/k rows are converted to Hugging Face order with `heads`.
    /// - Throws: ``AdapterError`` when `url` exists (unless `replacing`), a tensor does not fit,
    ///   or a write fails.
    public static func write(_ adapter: LoRAAdapter, heads: AttentionHeads, to url: URL, replacing: Bool = false) throws {
        let hf = try adapter.reordered(to: .huggingFace, heads: heads, source: url.path)
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        for key in hf.tensors.keys.sorted() {
            guard let name = tensorName(forKey: key) else {
                throw AdapterError(file: url.path, problem: "'\(key)' is not a LoRA tensor of a transformer block's linear module")
            }
            let t = hf.tensors[key]!
            try writer.add(name, floats: AdapterTensorData.floats(t), shape: t.shape)
        }
        let s = adapter.settings
        var config: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": s.rank, "lora_alpha": s.alpha,
            "lora_dropout": s.dropout, "target_modules": hf.adaptedModules.map { String($0.split(separator: ".").last!) },
            "layers_to_transform": hf.layers, "use_dora": s.dora, "use_rslora": false, "bias": "none",
            "fan_in_fan_out": false, "init_lora_weights": true, "inference_mode": true,
            "rank_pattern": [String: Any](), "alpha_pattern": [String: Any](), "modules_to_save": NSNull(),
            "revision": NSNull(), "layers_pattern": NSNull(),
        ]
        config["base_model_name_or_path"] = s.baseModel ?? NSNull()
        try AtomicDirectory.write(to: url, replacing: replacing) { folder in
            try writer.write(to: folder.appendingPathComponent(weightsFileName))
            try AdapterJSON.write(config, to: folder.appendingPathComponent(configFileName))
        }
    }

    /// Reads a PEFT folder. Tensors come back in Hugging Face q/k row order.
    /// - Throws: ``AdapterError`` naming the file for a missing file, an unsupported setting
    ///   (`rank_pattern`, `alpha_pattern`, a non-LoRA `peft_type`), or a tensor Graft cannot use.
    public static func read(_ url: URL) throws -> LoRAAdapter {
        let configURL = url.appendingPathComponent(configFileName), weightsURL = url.appendingPathComponent(weightsFileName)
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw AdapterError(file: url.path, problem: "is not a PEFT adapter folder (no \(weightsFileName))")
        }
        let config = try AdapterJSON(contentsOf: configURL)
        if let type = try config.string("peft_type"), type != "LORA" {
            throw AdapterError(file: configURL.path, problem: "peft_type is '\(type)'; Graft reads LoRA adapters only")
        }
        for key in ["rank_pattern", "alpha_pattern"] where config.isNonEmpty(key) {
            throw AdapterError(file: configURL.path, problem: "'\(key)' gives per-module ranks or alphas, which Graft does not support")
        }
        if try config.bool("fan_in_fan_out") == true {
            throw AdapterError(file: configURL.path, problem: "fan_in_fan_out is true (transposed weights), which Graft does not support")
        }
        guard let rank = try config.int("r"), rank > 0 else {
            throw AdapterError(file: configURL.path, problem: "'r' (the LoRA rank) is missing or not positive")
        }
        let loraAlpha = try config.number("lora_alpha") ?? 8
        // With rsLoRA the scale is lora_alpha / √r, i.e. Graft's alpha (scale · r) is lora_alpha · √r.
        let alpha = try config.bool("use_rslora") == true ? loraAlpha * Double(rank).squareRoot() : loraAlpha
        let file = try SafetensorsFile(contentsOf: weightsURL)
        var tensors: [String: Tensor] = [:]
        for name in file.tensorNames {
            guard let key = key(forTensorName: name) else {
                throw AdapterError(file: weightsURL.path, problem: "tensor '\(name)' is not a LoRA weight of a transformer block's linear module (Graft reads q/k/v/o/gate/up/down adapters)")
            }
            let info = try file.info(name)
            tensors[key] = Tensor(try file.floats(name), shape: info.shape)
        }
        let settings = LoRAAdapterSettings(rank: rank, alpha: alpha, dropout: try config.number("lora_dropout") ?? 0,
                                           dora: try config.bool("use_dora") ?? false,
                                           baseModel: try config.string("base_model_name_or_path"))
        let adapter = LoRAAdapter(tensors: tensors, settings: settings, rowOrder: .huggingFace)
        try AdapterValidation.checkRanks(adapter, file: weightsURL.path)
        return adapter
    }
}
