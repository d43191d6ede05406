import Foundation
import Graft
import GraftIO

/// A Hugging Face Llama folder as a float32 GGUF with llama.cpp's names, metadata (formats.md
/// §1.9) and tokenizer keys (§2), q/k rows in GGUF's interleaved order (§1.10). `graft convert`
/// writes it next to the output and then encodes it like any GGUF source.
enum GGUFFromHuggingFace {
    /// llama.cpp's `tokenizer.ggml.pre` name for a pre-tokenizer.
    static func preTokenizerName(_ preTokenizer: PreTokenizer) -> String? {
        switch preTokenizer {
        case .smollm: "smollm"
        case .gpt2: "gpt-2"
        case .llama3: "llama-bpe"
        case .qwen2: "qwen2"
        default: nil
        }
    }

    /// The GGUF for `model` (loaded from `directory`) with the folder's tokenizer.
    /// - Throws: ``ConvertError/unsupported(_:)`` for an architecture, RoPE scaling or
    ///   pre-tokenizer that llama.cpp's `llama` metadata cannot express; the tokenizer's errors.
    static func writer(model: LlamaModel, directory: URL) throws -> GGUFWriter {
        let c = model.config
        let source = directory.path
        guard c.architecture == "llama", !c.qkvBias, !c.outputProjectionBias, !c.mlpBias else {
            throw ConvertError.unsupported("\(source): only Llama models without biases can be written as GGUF (found \(c.architecture))")
        }
        var writer = GGUFWriter()
        func set(_ key: String, _ value: GGUFValue) { writer.setValue(value, forKey: key) }
        func int(_ key: String, _ value: Int) { set(key, .uint32(UInt32(value))) }
        set("general.architecture", .string("llama"))
        set("general.name", .string(directory.lastPathComponent))
        int("llama.context_length", c.contextLength)
        int("llama.embedding_length", c.hiddenSize)
        int("llama.block_count", c.layerCount)
        int("llama.feed_forward_length", c.intermediateSize)
        int("llama.attention.head_count", c.attentionHeadCount)
        int("llama.attention.head_count_kv", c.keyValueHeadCount)
        if c.headDimension != c.hiddenSize / c.attentionHeadCount {
            int("llama.attention.key_length", c.headDimension)
            int("llama.attention.value_length", c.headDimension)
        }
        set("llama.rope.freq_base", .float32(Float(c.ropeTheta)))
        set("llama.attention.layer_norm_rms_epsilon", .float32(Float(c.rmsNormEpsilon)))
        int("llama.vocab_size", c.vocabularySize)
        int("llama.rope.dimension_count", c.ropeDimensions)
        switch c.ropeScaling {
        case nil: break
        case .linear(let factor)?:
            set("llama.rope.scaling.type", .string("linear"))
            set("llama.rope.scaling.factor", .float32(Float(factor)))
        default:
            throw ConvertError.unsupported("\(source): its RoPE scaling needs a rope_freqs table, which Graft does not write; use --format safetensors")
        }
        int("general.file_type", 0)
        int("general.quantization_version", 2)
        try addTokenizer(directory: directory, vocabularySize: c.vocabularySize, to: &writer)

        let heads = model.attentionHeads
        for (path, tensor) in model.parameters.flattened() where !path.hasSuffix(".scales") && !path.hasSuffix(".biases") {
            guard let name = LlamaTensorNames.ggufName(forHuggingFace: path) else { continue }
            let packed = path.hasSuffix(".weight") ? model.linearWeights(stem: String(path.dropLast(".weight".count)))?.quantizedBase : nil
            let shape = packed.map { [$0.rows, $0.cols] } ?? tensor.shape
            var values = packed.map { $0.dequantized().toArray(as: Float.self) } ?? tensor.astype(.float32).toArray(as: Float.self)
            let module = path.contains(".self_attn.q_proj.") ? "self_attn.q_proj" : path.contains(".self_attn.k_proj.") ? "self_attn.k_proj" : nil
            if let module, model.adapterRowOrder == .huggingFace, let count = heads.headCount(forModule: module) {
                values = QKRowPermutation.reorderRows(values, columns: shape.count == 2 ? shape[1] : 1, from: .huggingFace,
                                                      to: .interleaved, headCount: count, headDimension: heads.headDimension)
            }
            try writer.addTensor(name: name, shape: shape, floats: values)
        }
        return writer
    }

    /// `tokenizer.ggml.*` and `tokenizer.chat_template` from the folder's tokenizer files; ids
    /// the tokenizer lacks up to the model's vocabulary become unused `[PAD<id>]` tokens.
    static func addTokenizer(directory: URL, vocabularySize: Int, to writer: inout GGUFWriter) throws {
        let tokenizer = try BPETokenizer(directory: directory)
        let jsonURL = directory.appendingPathComponent("tokenizer.json")
        guard let pre = preTokenizerName(tokenizer.preTokenizer) else {
            throw ConvertError.unsupported("\(jsonURL.path): its pre-tokenizer has no llama.cpp name; use --format safetensors")
        }
        let (fields, root) = try TokenizerJSONFields.load(jsonURL)
        let model = try fields.object(root["model"], "model")
        var merges: [String] = []
        for (rank, item) in (fields.isNull(model["merges"]) ? [] : try fields.array(model["merges"], "model.merges")).enumerated() {
            if let pair = item as? [Any], pair.count == 2, let left = pair[0] as? String, let right = pair[1] as? String {
                guard !left.contains(" ") && !right.contains(" ") else {
                    throw ConvertError.unsupported("\(jsonURL.path): model.merges[\(rank)] holds a space, which GGUF merges cannot express")
                }
                merges.append(left + " " + right)
            } else if let line = item as? String, !line.hasPrefix("#version") {
                merges.append(line)
            }
        }
        let count = max(vocabularySize, tokenizer.vocabularySize)
        var tokens: [String] = [], types: [Int32] = []
        tokens.reserveCapacity(count)
        types.reserveCapacity(count)
        let added = Dictionary(tokenizer.addedTokens.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for id in 0..<count {
            if id < tokenizer.vocabularySize, let text = tokenizer.tokenTexts[id] {
                tokens.append(text)
                types.append(added[Int32(id)].map { $0.special ? 3 : 4 } ?? 1)
            } else {
                tokens.append("[PAD\(id)]")
                types.append(5)
            }
        }
        writer.setValue(.string("gpt2"), forKey: "tokenizer.ggml.model")
        writer.setValue(.string(pre), forKey: "tokenizer.ggml.pre")
        writer.setValue(.array(.string(tokens)), forKey: "tokenizer.ggml.tokens")
        writer.setValue(.array(.int32(types)), forKey: "tokenizer.ggml.token_type")
        writer.setValue(.array(.string(merges)), forKey: "tokenizer.ggml.merges")
        for (key, id) in [("bos_token_id", tokenizer.bosTokenID), ("eos_token_id", tokenizer.eosTokenID),
                          ("unknown_token_id", tokenizer.unknownTokenID), ("padding_token_id", tokenizer.padTokenID)] {
            if let id { writer.setValue(.uint32(UInt32(id)), forKey: "tokenizer.ggml." + key) }
        }
        let addsBOS = tokenizer.bosTokenID.map { tokenizer.prefixTokenIDs.contains($0) } ?? false
        let addsEOS = tokenizer.eosTokenID.map { tokenizer.suffixTokenIDs.contains($0) } ?? false
        writer.setValue(.bool(addsBOS), forKey: "tokenizer.ggml.add_bos_token")
        writer.setValue(.bool(addsEOS), forKey: "tokenizer.ggml.add_eos_token")
        if let template = tokenizer.chatTemplate { writer.setValue(.string(template), forKey: "tokenizer.chat_template") }
    }
}
