import Foundation
import Graft
import GraftIO

/// The file format `graft fuse` writes.
public enum FuseFormat: String, Sendable, CaseIterable {
    /// A Hugging Face folder (config.json + model.safetensors).
    case safetensors
    /// A single GGUF file with llama.cpp names.
    case gguf
}

/// What a fuse wrote.
public struct FuseResult {
    /// The folder or file written.
    public let output: URL
    /// Number of weights the adapters changed.
    public let fusedWeightCount: Int
    /// Re-quantization measurements per weight (empty for float output).
    public let report: FuseQuantizationReport
    /// How much of the adapters' effect on the logits the written model keeps (nil for float32
    /// output, which keeps it by construction).
    public let effect: FuseEffectMeasurement?
}

/// `graft fuse`: a base model plus adapters → one model file/folder with `W' = W + scale·B·A`.
public enum ModelFuser {
    /// Fuses the adapters at `adapterPath` (checkpoint, run folder, PEFT, mlx-lm or GGUF LoRA)
    /// into the GGUF model at `modelURL` and writes `output` in `format`.
    ///
    /// The output is refused when it exists (unless `force`). Unless the output is float32, the
    /// fused model as stored is compared with the base and the tuned model on sample sequences
    /// (``FuseEffectMeasurement``), and refused when it keeps less than
    /// ``FuseEffectMeasurement/minimumKept`` of the adapters' effect (unless `force`).
    /// Folders (with the tokenizer files) are built in a temporary folder and renamed; files
    /// are written atomically.
    /// - Throws: ``FuseError``, and the loaders' errors (each names its file).
    public static func fuse(modelURL: URL, adapterPath: String, output: URL, format: FuseFormat,
                            precision: FusePrecision, force: Bool = false,
                            log: (String) -> Void = { _ in }) throws -> FuseResult {
        if FileManager.default.fileExists(atPath: output.path) && !force { throw FuseError.outputExists(path: output.path) }
        guard FileManager.default.fileExists(atPath: modelURL.path) else {
            throw ModelError.invalidInput("model file not found: \(modelURL.path)")
        }
        let source = try GGUFFile(path: modelURL.path)
        let loaded = try LoadedModel.load(gguf: modelURL)
        let model = loaded.model
        let adapter = try LoadedAdapter.open(path: adapterPath, model: model)
        log("adapters: \(adapter.format.rawValue) \(adapter.file.path), rank \(adapter.lora.rank), alpha \(adapter.lora.alpha), \(adapter.adapter.layers.count) layers, modules \(adapter.adapter.adaptedModules.joined(separator: ", "))")
        let fused = try model.fusedProjections(adapter.adapter)
        let storage: String
        switch precision {
        case .float(let type): storage = type.rawValue
        case .keep: storage = "the base model's quantization"
        case .quantized(let bits, _): storage = "\(bits) bits"
        }
        let report: FuseQuantizationReport
        let stored: [String: [Float]]
        let write: (URL) throws -> Void
        switch format {
        case .safetensors:
            let contents = try FuseHuggingFaceFolder.prepare(model: model, fused: fused, precision: precision,
                tokenizer: HuggingFaceTokenizerFiles(tokenizer: loaded.tokenizer, modelMaxLength: model.config.contextLength))
            (report, stored) = (contents.report, contents.stored)
            write = { url in try AtomicDirectory.write(to: url, replacing: force) { try FuseHuggingFaceFolder.write(contents, into: $0) } }
        case .gguf:
            let contents = try FuseGGUFOutput.prepare(source: source, model: model, fused: fused, precision: precision)
            (report, stored) = (contents.report, contents.stored)
            write = { url in try contents.writer.write(to: url.path) }
        }
        var effect: FuseEffectMeasurement?
        if precision != .float32 {
            let measured = try FuseEffectMeasurement.measure(
                base: model, adapter: adapter.adapter, stored: try model.replacingWeights(stored),
                sequences: try FuseEffectMeasurement.sampleSequences(loaded, adapter: adapter.adapter))
            if !report.layers.isEmpty { log(report.summary) }
            log(measured.summary)
            if measured.effectLost {
                if !force { throw FuseError.effectLost(measurement: measured, report: report, storage: storage) }
                log("warning: --force given: writing although storing as \(storage) erased most of the adapters' effect")
            }
            effect = measured
        }
        try write(output)
        return FuseResult(output: output, fusedWeightCount: fused.count, report: report, effect: effect)
    }
}

/// `graft export-adapter`: adapters from any source into the PEFT, mlx-lm or GGUF LoRA format.
public enum AdapterExporter {
    /// Output formats.
    public enum Format: String, Sendable, CaseIterable {
        case peft, mlx, gguf
    }

    /// Reads the adapters at `adapterPath`, checks them against the model at `modelURL` (which
    /// fixes the q/k geometry and layer count), and writes `output` in `format`.
    /// - Throws: ``FuseError/outputExists(path:)`` (unless `force`), ``AdapterError`` and the
    ///   loaders' errors.
    public static func export(adapterPath: String, modelURL: URL, output: URL, format: Format, force: Bool = false) throws -> LoadedAdapter {
        if FileManager.default.fileExists(atPath: output.path) && !force { throw FuseError.outputExists(path: output.path) }
        let source = try GGUFFile(path: modelURL.path)
        let config = try ModelConfig(gguf: source)
        let heads = AttentionHeads(queryHeads: config.attentionHeadCount, keyValueHeads: config.keyValueHeadCount,
                                   headDimension: config.headDimension)
        let model = try LlamaModel(gguf: source)
        let loaded = try LoadedAdapter.open(path: adapterPath, model: model)
        var adapter = loaded.adapter
        if adapter.settings.baseModel == nil || loaded.format == .checkpoint || loaded.format == .runFolder {
            adapter.settings.baseModel = modelURL.lastPathComponent
        }
        switch format {
        case .peft: try PEFTAdapterDirectory.write(adapter, heads: heads, to: output, replacing: force)
        case .mlx: try MLXAdapterDirectory.write(adapter, heads: heads, layerCount: config.layerCount, to: output, replacing: force)
        case .gguf: try GGUFLoRAFile.write(adapter, heads: heads, architecture: config.architecture, to: output, replacing: force)
        }
        return loaded
    }
}
