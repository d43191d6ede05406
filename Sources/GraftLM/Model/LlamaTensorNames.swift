/// The correspondence between llama.cpp's GGUF tensor names and Hugging Face key paths for the
/// Llama architecture (formats.md §1.7).
public enum LlamaTensorNames {
    /// Per-layer names: GGUF suffix after `blk.N.` → Hugging Face suffix after `model.layers.N.`
    /// (without `.weight` / `.bias`).
    static let layerNames: [(gguf: String, huggingFace: String)] = [
        ("attn_norm", "input_layernorm"),
        ("attn_q", "self_attn.q_proj"),
        ("attn_k", "self_attn.k_proj"),
        ("attn_v", "self_attn.v_proj"),
        ("attn_output", "self_attn.o_proj"),
        ("ffn_norm", "post_attention_layernorm"),
        ("ffn_gate", "mlp.gate_proj"),
        ("ffn_up", "mlp.up_proj"),
        ("ffn_down", "mlp.down_proj"),
    ]

    /// Whole-model names (without `.weight` / `.bias`).
    static let globalNames: [(gguf: String, huggingFace: String)] = [
        ("token_embd", "model.embed_tokens"),
        ("output_norm", "model.norm"),
        ("output", "lm_head"),
    ]

    /// The Hugging Face key path of a GGUF tensor name (`blk.3.attn_q.weight` →
    /// `model.layers.3.self_attn.q_proj.weight`), or nil for names without one (`rope_freqs.weight`).
    public static func huggingFaceName(forGGUF name: String) -> String? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let kind = parts.last, kind == "weight" || kind == "bias" else { return nil }
        if parts.count == 4, parts[0] == "blk", let layer = Int(parts[1]), layer >= 0,
           let entry = layerNames.first(where: { $0.gguf == parts[2] }) {
            return "model.layers.\(layer).\(entry.huggingFace).\(kind)"
        }
        if parts.count == 2, let entry = globalNames.first(where: { $0.gguf == parts[0] }) {
            return "\(entry.huggingFace).\(kind)"
        }
        return nil
    }

    /// The GGUF tensor name of a Hugging Face key path, or nil for paths without one.
    public static func ggufName(forHuggingFace path: String) -> String? {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let kind = parts.last, kind == "weight" || kind == "bias" else { return nil }
        let stem = parts.dropLast().joined(separator: ".")
        if parts.count >= 4, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]), layer >= 0 {
            let rest = parts[3..<(parts.count - 1)].joined(separator: ".")
            if let entry = layerNames.first(where: { $0.huggingFace == rest }) { return "blk.\(layer).\(entry.gguf).\(kind)" }
            return nil
        }
        if let entry = globalNames.first(where: { $0.huggingFace == stem }) { return "\(entry.gguf).\(kind)" }
        return nil
    }
}
