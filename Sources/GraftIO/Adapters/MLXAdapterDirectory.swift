import Foundation
import Graft

/// An mlx-lm adapter folder (formats.md §6.2): `adapters.safetensors` with
/// `model.layers.N.<module>.lora_a` `[in, r]`, `….lora_b` `[r, out]` (mlx-lm's orientation, the
/// transpose of PEFT's) and DoRA's `….m` `[out]`, in Hugging Face q/k row order; and
/// `adapter_config.json` with `fine_tune_type`, `num_layers` (the last N blocks) and
/// `lora_parameters` (`rank`, `scale`, `dropout`, `keys`).
public enum MLXAdapterDirectory {
    /// The weights file inside the folder.
    public static let weightsFileName = "adapters.safetensors"
    /// The configuration file inside the folder.
    public static let configFileName = "adapter_config.json"

    /// Writes `adapter` as an mlx-lm folder at `url` (built in a temporary folder, then renamed).
    /// `layerCount` is the base model's number of blocks: mlx-lm adapts the last `num_layers`
    /// blocks, so `num_layers` covers the lowest adapted block (blocks in between that carry no
    /// adapter in Graft get none in the file, and mlx-lm leaves them at a zero update).
    /// - Throws: ``AdapterError`` when `url` exists (unless `replacing`) or a write fails.
    public static func write(_ adapter: LoRAAdapter, heads: AttentionHeads, layerCount: Int, to url: URL,
                             replacing: Bool = false) throws {
        let hf = try adapter.reordered(to: .huggingFace, heads: heads, source: url.path)
        var writer = SafetensorsWriter(metadata: nil)
        for key in hf.tensors.keys.sorted() {
            guard let p = LoRAAdapter.parseKey(key) else {
                throw AdapterError(file: url.path, problem: "'\(key)' is not a LoRA tensor of a transformer block's linear module")
            }
            let t = hf.tensors[key]!
            let stem = "model.layers.\(p.layer).\(p.module)."
            switch p.leaf {
            case "lora_a", "lora_b":
                try writer.add(stem + p.leaf, floats: AdapterTensorData.transposedFloats(t), shape: [t.shape[1], t.shape[0]])
            default:
                try writer.add(stem + "m", floats: AdapterTensorData.floats(t), shape: t.shape)
            }
        }
        let s = adapter.settings
        let lowest = hf.layers.first ?? layerCount
        var config: [String: Any] = [
            "fine_tune_type": s.dora ? "dora" : "lora",
            "num_layers": layerCount - lowest,
            "lora_parameters": ["rank": s.rank, "scale": s.scale, "dropout": s.dropout, "keys": hf.adaptedModules] as [String: Any],
        ]
        config["model"] = s.baseModel ?? NSNull()
        try AtomicDirectory.write(to: url, replacing: replacing) { folder in
            try writer.write(to: folder.appendingPathComponent(weightsFileName))
            try AdapterJSON.write(config, to: folder.appendingPathComponent(configFileName))
        }
    }

    /// Reads an mlx-lm folder. Tensors come back in Graft's orientation and Hugging Face q/k
    /// row order; `alpha = scale · rank`.
    /// - Throws: ``AdapterError`` naming the file for a missing file, a full fine-tune, or a
    ///   tensor Graft cannot use.
    public static func read(_ url: URL) throws -> LoRAAdapter {
        let configURL = url.appendingPathComponent(configFileName), weightsURL = url.appendingPathComponent(weightsFileName)
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw AdapterError(file: url.path, problem: "is not an mlx-lm adapter folder (no \(weightsFileName))")
        }
        let config = try AdapterJSON(contentsOf: configURL)
        let kind = try config.string("fine_tune_type") ?? "lora"
        guard kind == "lora" || kind == "dora" else {
            throw AdapterError(file: configURL.path, problem: "fine_tune_type is '\(kind)'; Graft reads LoRA and DoRA adapters only")
        }
        guard let parameters = try config.object("lora_parameters") else {
            throw AdapterError(file: configURL.path, problem: "'lora_parameters' is missing")
        }
        guard let rank = try parameters.int("rank"), rank > 0 else {
            throw AdapterError(file: configURL.path, problem: "'lora_parameters.rank' is missing or not positive")
        }
        let scale = try parameters.number("scale") ?? 20
        let file = try SafetensorsFile(contentsOf: weightsURL)
        var tensors: [String: Tensor] = [:]
        for name in file.tensorNames {
            let leaf = name.split(separator: ".").last.map(String.init) ?? ""
            let graftLeaf = leaf == "m" ? "lora_magnitude" : leaf
            let key = String(name.dropLast(leaf.count)) + graftLeaf
            guard LoRAAdapter.parseKey(key) != nil else {
                throw AdapterError(file: weightsURL.path, problem: "tensor '\(name)' is not a LoRA weight of a transformer block's linear module (Graft reads q/k/v/o/gate/up/down adapters)")
            }
            let info = try file.info(name)
            let values = try file.floats(name)
            if graftLeaf == "lora_magnitude" {
                tensors[key] = Tensor(values, shape: info.shape)
            } else {
                guard info.shape.count == 2 else {
                    throw AdapterError(file: weightsURL.path, problem: "tensor '\(name)' has shape \(info.shape), expected a matrix")
                }
                tensors[key] = Tensor(values, shape: info.shape).T
            }
        }
        let settings = LoRAAdapterSettings(rank: rank, alpha: scale * Double(rank), dropout: try parameters.number("dropout") ?? 0,
                                           dora: kind == "dora", baseModel: try config.string("model"))
        let adapter = LoRAAdapter(tensors: tensors, settings: settings, rowOrder: .huggingFace)
        try AdapterValidation.checkRanks(adapter, file: weightsURL.path)
        return adapter
    }
}
