import Foundation
import Graft
import GraftIO

/// A model with the tokenizer and chat template stored in the same file: what generation needs.
public struct LoadedModel {
    /// The network.
    public let model: LlamaModel
    /// The tokenizer, checked against the model's vocabulary.
    public let tokenizer: BPETokenizer
    /// The chat template, when the file has one.
    public let chatTemplate: ChatTemplate?
    /// The file the model came from.
    public let file: URL
    /// LoRA adapters applied on the side at every step (`--no-fuse`), or nil.
    public internal(set) var adapters: SideAdapters? = nil

    /// Loads model, tokenizer (`tokenizer.ggml.*`) and chat template (`tokenizer.chat_template`)
    /// from one GGUF file.
    /// - Throws: ``GGUFError`` (missing or malformed file), ``ModelError`` (unsupported
    ///   architecture, missing tensors, an unparsable chat template), ``TokenizerError`` (a
    ///   tokenizer that does not fit the model); all name the file.
    public static func load(gguf url: URL, dequantize: Bool = false) throws -> LoadedModel {
        let file = try GGUFFile(path: url.path)
        let model = try LlamaModel(gguf: file, dequantize: dequantize)
        let tokenizer = try BPETokenizer(gguf: file)
        try tokenizer.validate(vocabularySize: model.config.vocabularySize)
        var template: ChatTemplate?
        if let source = tokenizer.chatTemplate {
            do {
                template = try ChatTemplate(source: source)
            } catch {
                throw ModelError.invalidValue(file: url.path, key: "tokenizer.chat_template", problem: "cannot be parsed: \(error)")
            }
        }
        return LoadedModel(model: model, tokenizer: tokenizer, chatTemplate: template, file: url)
    }

    /// The same model with its decoding passes reading activations as `activations` (see
    /// ``LlamaModel/decodingActivations``).
    public func decoding(activations: ActivationPrecision) -> LoadedModel {
        var model = self.model
        model.decodingActivations = activations
        return replacingModel(model)
    }

    /// The same model with generation keeping its keys and values as `dtype` (`.float32` or
    /// `.float16`; see ``LlamaModel/kvCacheType``).
    public func caching(as dtype: DType) -> LoadedModel {
        var model = self.model
        model.kvCacheType = dtype
        return replacingModel(model)
    }

    /// The same tokenizer and template over another model (e.g. one with adapters fused in).
    public func replacingModel(_ model: LlamaModel) -> LoadedModel {
        LoadedModel(model: model, tokenizer: tokenizer, chatTemplate: chatTemplate, file: file, adapters: adapters)
    }

    /// Ids that end generation: the model's EOS ids (or the tokenizer's EOS when the model
    /// declares none), plus `<|endoftext|>` when it is a special token: chat models such as
    /// SmolLM2-Instruct end turns with their EOS but documents with `<|endoftext|>`
    /// (formats.md §8.1).
    public var stopTokenIDs: Set<Int32> {
        var ids = Set(model.config.eosTokenIDs)
        if ids.isEmpty, let eos = tokenizer.eosTokenID { ids.insert(eos) }
        if let endOfText = tokenizer.tokenID(for: "<|endoftext|>"), tokenizer.isSpecial(endOfText) { ids.insert(endOfText) }
        return ids
    }

    /// The conversation rendered with the chat template (`addGenerationPrompt` opens the
    /// assistant's turn).
    /// - Throws: ``ModelError/invalidInput(_:)`` when the file has no chat template, or the
    ///   template's own rendering error.
    public func renderChat(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws -> String {
        guard let chatTemplate else {
            throw ModelError.invalidInput("\(file.path) has no chat template (tokenizer.chat_template); use plain text instead")
        }
        let bos = tokenizer.bosTokenID.flatMap { tokenizer.token(for: $0) } ?? ""
        let eos = tokenizer.eosTokenID.flatMap { tokenizer.token(for: $0) } ?? ""
        return try chatTemplate.render(messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: bos, eosToken: eos)
    }

    /// Token ids of a rendered conversation (special tokens in the text are parsed; no BOS is
    /// added beyond what the template writes).
    public func chatTokens(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws -> [Int32] {
        tokenizer.encode(try renderChat(messages, addGenerationPrompt: addGenerationPrompt), addSpecialTokens: false)
    }

    /// Token ids of plain text, with the tokenizer's own BOS/EOS rules.
    public func textTokens(_ text: String) -> [Int32] {
        tokenizer.encode(text, addSpecialTokens: true)
    }
}
