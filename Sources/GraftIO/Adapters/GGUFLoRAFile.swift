import Foundation
import Graft

/// A llama.cpp GGUF LoRA adapter (formats.md §6.4): `general.type = "adapter"`,
/// `adapter.type = "lora"`, `adapter.lora.alpha` (FLOAT32), and for each adapted base tensor
/// `blk.N.attn_q.weight`: `blk.N.attn_q.weight.lora_a` (row-major `[r, in]`) and `….lora_b`
/// (row-major `[out, r]`), in the GGUF's interleaved q/k row order. llama.cpp scales the update
/// by `alpha / r` (by 1 when alpha is 0). It has no DoRA.
public enum GGUFLoRAFile {
    /// Hugging Face module path inside a block → llama.cpp tensor stem.
    static let moduleNames: [(module: String, gguf: String)] = [
        ("self_attn.q_proj", "attn_q"), ("self_attn.k_proj", "attn_k"), ("self_attn.v_proj", "attn_v"),
        ("self_attn.o_proj", "attn_output"), ("mlp.gate_proj", "ffn_gate"), ("mlp.up_proj", "ffn_up"),
        ("mlp.down_proj", "ffn_down"),
    ]

    /// The GGUF tensor name of a Graft key path (`model.layers.3.self_attn.q_proj.lora_a` →
    /// `blk.3.attn_q.weight.lora_a`), or nil (DoRA magnitudes have none).
    public static func tensorName(forKey key: String) -> String? {
        guard let p = LoRAAdapter.parseKey(key), p.leaf != "lora_magnitude",
              let entry = moduleNames.first(where: { $0.module == p.module }) else { return nil }
        return "blk.\(p.layer).\(entry.gguf).weight.\(p.leaf)"
    }

    /// The Graft key path of a GGUF LoRA tensor name, or nil.
    public static func key(forTensorName name: String) -> String? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "blk", let layer = Int(parts[1]), layer >= 0, parts[3] == "weight",
              parts[4] == "lora_a" || parts[4] == "lora_b",
              let entry = moduleNames.first(where: { $0.gguf == parts[2] }) else { return nil }
        return "model.layers.\(layer).\(entry.module).\(parts[4])"
    }

    /// Writes `adapter` as a GGUF LoRA file at `url` (atomically), F32 tensors in GGUF q/k row
    /// order (converted with `heads` when needed). `architecture` is the base model's
    /// `general.architecture`.
    /// - Throws: ``AdapterError`` for DoRA adapters (llama.cpp cannot apply them), when `url`
    ///   exists (unless `replacing`), or when a write fails.
    public static func write(_ adapter: LoRAAdapter, heads: AttentionHeads, architecture: String = "llama", to url: URL,
                             replacing: Bool = false) throws {
        guard !adapter.settings.dora else {
            throw AdapterError(file: url.path, problem: "DoRA adapters cannot be written as a llama.cpp GGUF LoRA (llama.cpp has no DoRA); export to PEFT or mlx-lm, or fuse them")
        }
        if FileManager.default.fileExists(atPath: url.path) && !replacing {
            throw AdapterError(file: url.path, problem: "already exists; choose another output path or pass --force to replace it")
        }
        let gguf = try adapter.reordered(to: .interleaved, heads: heads, source: url.path)
        var writer = GGUFWriter()
        writer.setValue(.string(architecture), forKey: "general.architecture")
        writer.setValue(.string("adapter"), forKey: "general.type")
        if let base = adapter.settings.baseModel { writer.setValue(.string(base), forKey: "general.base_model.0.name") }
        writer.setValue(.string("lora"), forKey: "adapter.type")
        writer.setValue(.float32(Float(adapter.settings.alpha)), forKey: "adapter.lora.alpha")
        for key in gguf.tensors.keys.sorted(by: Self.layerOrder) {
            guard let name = tensorName(forKey: key) else {
                throw AdapterError(file: url.path, problem: "'\(key)' is not a LoRA tensor of a transformer block's linear module")
            }
            let t = gguf.tensors[key]!
            try writer.addTensor(name: name, shape: t.shape, floats: AdapterTensorData.floats(t))
        }
        do {
            try writer.write(to: url.path)
        } catch {
            throw AdapterError(file: url.path, problem: "cannot be written: \(error)")
        }
    }

    /// Reads a GGUF LoRA file. Tensors come back in GGUF (interleaved) q/k row order.
    /// - Throws: ``GGUFError`` for a malformed file, ``AdapterError`` for a GGUF that is not a
    ///   LoRA adapter, tensors Graft cannot use, or ranks that disagree.
    public static func read(_ url: URL) throws -> LoRAAdapter {
        let file = try GGUFFile(path: url.path)
        guard try file.string("general.type") == "adapter" else {
            throw AdapterError(file: url.path, problem: "is not a LoRA adapter (general.type is not \"adapter\"; is it a model?)")
        }
        if let type = try file.string("adapter.type"), type != "lora" {
            throw AdapterError(file: url.path, problem: "adapter.type is '\(type)'; Graft reads LoRA adapters only")
        }
        let architecture = try file.string("general.architecture") ?? "?"
        guard architecture == "llama" else {
            throw AdapterError(file: url.path, problem: "general.architecture is '\(architecture)'; Graft's GGUF adapters use llama tensor names")
        }
        var tensors: [String: Tensor] = [:]
        var rank: Int?
        for tensor in file.tensors {
            if tensor.name.hasSuffix("_norm.weight") { continue }  // llama.cpp ignores these too
            guard let key = key(forTensorName: tensor.name) else {
                throw AdapterError(file: url.path, problem: "tensor '\(tensor.name)' is not a LoRA weight of a transformer block's linear module")
            }
            guard tensor.shape.count == 2 else {
                throw AdapterError(file: url.path, problem: "tensor '\(tensor.name)' has shape \(tensor.shape), expected a matrix")
            }
            if key.hasSuffix("lora_b") { rank = rank ?? tensor.shape[1] }
            tensors[key] = Tensor(try tensor.floats(), shape: tensor.shape)
        }
        guard let r = rank else { throw AdapterError(file: url.path, problem: "holds no lora_b tensors") }
        let storedAlpha = Double(try file.float("adapter.lora.alpha") ?? 0)
        let settings = LoRAAdapterSettings(rank: r, alpha: storedAlpha == 0 ? Double(r) : storedAlpha, dropout: 0, dora: false,
                                           baseModel: try file.string("general.base_model.0.name"))
        let adapter = LoRAAdapter(tensors: tensors, settings: settings, rowOrder: .interleaved)
        try AdapterValidation.checkRanks(adapter, file: url.path)
        return adapter
    }

    /// Layer number first, then name (so `blk.2` precedes `blk.10`).
    static func layerOrder(_ a: String, _ b: String) -> Bool {
        let la = LoRAAdapter.parseKey(a)?.layer ?? 0, lb = LoRAAdapter.parseKey(b)?.layer ?? 0
        return la != lb ? la < lb : a < b
    }
}
