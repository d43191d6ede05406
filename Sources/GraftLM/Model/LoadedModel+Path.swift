import Foundation

extension LoadedModel {
    /// Loads whatever `url` points at: a folder is read as a Hugging Face model folder
    /// (``load(huggingFace:quantize:)``), a file as GGUF (``load(gguf:dequantize:)``).
    ///
    /// With `quantize`, the float weights are quantized at load; a model that already holds packed
    /// weights (a Q4_0/Q4_1/Q8_0 GGUF, an MLX-quantized folder) is refused.
    /// - Throws: ``ModelError/invalidInput(_:)`` when nothing exists at `url` or it is a single
    ///   safetensors or config file instead of its folder, plus the errors of the loader used.
    public static func load(path url: URL, quantize: QuantizeOption? = nil) throws -> LoadedModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelError.invalidInput("model not found: \(url.path) (give a GGUF file or a Hugging Face model folder)")
        }
        if isDirectory.boolValue { return try load(huggingFace: url, quantize: quantize) }
        if url.pathExtension == "safetensors" || url.pathExtension == "json" {
            throw ModelError.invalidInput(
                "\(url.path) is one file of a Hugging Face model folder; give the folder "
                    + "\(url.deletingLastPathComponent().path) instead")
        }
        let loaded = try load(gguf: url)
        guard let quantize else { return loaded }
        return LoadedModel(model: try ModelQuantization.quantized(loaded.model, option: quantize), tokenizer: loaded.tokenizer,
                           chatTemplate: loaded.chatTemplate, file: url)
    }

    /// Loads a Hugging Face model folder: the model (``LlamaModel/load(huggingFace:quantize:)``),
    /// the tokenizer from `tokenizer.json` with `tokenizer_config.json`, and the chat template
    /// from `tokenizer_config.json`'s `chat_template` or `chat_template.jinja`.
    ///
    /// The model's embedding may have more rows than the tokenizer has ids (padded vocabularies,
    /// as in Qwen2), never fewer.
    /// - Throws: ``ModelError`` and ``TokenizerError`` naming the file at fault.
    public static func load(huggingFace directory: URL, quantize: QuantizeOption? = nil) throws -> LoadedModel {
        let model = try LlamaModel.load(huggingFace: directory, quantize: quantize)
        let tokenizer = try BPETokenizer(directory: directory)
        let tokenizerPath = directory.appendingPathComponent("tokenizer.json").path
        do {
            try tokenizer.validate(vocabularySize: model.config.vocabularySize, allowModelPadding: true)
        } catch {
            throw ModelError.invalidInput("\(tokenizerPath) does not fit the model in \(directory.path): \(error)")
        }
        var template: ChatTemplate?
        if let source = tokenizer.chatTemplate {
            do {
                template = try ChatTemplate(source: source)
            } catch {
                let jinja = directory.appendingPathComponent("chat_template.jinja")
                let fromJinja = (try? String(contentsOf: jinja, encoding: .utf8)) == source
                let origin = fromJinja ? jinja.path : directory.appendingPathComponent("tokenizer_config.json").path + " (chat_template)"
                throw ModelError.invalidInput("\(origin): the chat template cannot be parsed: \(error)")
            }
        }
        return LoadedModel(model: model, tokenizer: tokenizer, chatTemplate: template, file: directory)
    }
}
