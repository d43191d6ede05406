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
    /// Re-quantization measurements (empty for float32 output).
    public let report: FuseQuantizationReport
}

/// `graft fuse`: a base model plus adapters → one model file/folder with `W' = W + scale·B·A`.
public enum ModelFuser {
    /// Fuses the adapters at `adapterPath` (checkpoint, run folder, PEFT, mlx-lm or GGUF LoRA)
    /// into the GGUF model at `modelURL` and writes `output` in `format`.
    ///
    /// The output is refused when it exists (unless `force`), and when re-quantization erases
    /// most of the adapters' change (``FuseQuantizationReport/deltaVanishes``, unless `force`).
    /// Folders are built in a temporary folder and renamed; files are written atomically.
    /// - Throws: ``FuseError``, and the loaders' errors (each names its file).
    public static func fuse(modelURL: URL, adapterPath: String, output: URL, format: FuseFormat,
                            precision: FusePrecision, force: Bool = false,
                            log: (String) -> Void = { _ in }) throws -> FuseResult {
        if FileManager.default.fileExists(atPath: output.path) && !force { throw FuseError.outputExists(path: output.path) }
        guard FileManager.default.fileExists(atPath: modelURL.path) else {
            throw ModelError.invalidInput("model file not found: \(modelURL.path)")
        }
        let source = try GGUFFile(path: modelURL.path)
        let model = try LlamaModel(gguf: source)
        let adapter = try LoadedAdapter.open(path: adapterPath, model: model)
        log("adapters: \(adapter.format.rawValue) \(adapter.file.path), rank \(adapter.lora.rank), alpha \(adapter.lora.alpha), \(adapter.adapter.layers.count) layers, modules \(adapter.adapter.adaptedModules.joined(separator: ", "))")
        let fused = try model.fusedProjections(adapter.adapter)
        let report: FuseQuantizationReport
        let bitsText: String
        switch precision {
        case .float32: bitsText = "float32"
        case .keep: bitsText = "the base model's quantization"
        case .quantized(let bits, _): bitsText = "\(bits) bits"
        }
        switch format {
        case .safetensors:
            var tokenizer: HuggingFaceTokenizerFiles?
            do {
                tokenizer = try HuggingFaceTokenizerFiles(gguf: source, contextLength: model.config.contextLength)
            } catch {
                log("warning: the folder gets no tokenizer files: \(error)")
            }
            let contents = try FuseHuggingFaceFolder.prepare(model: model, fused: fused, precision: precision, tokenizer: tokenizer)
            report = contents.report
            try check(report, bits: bitsText, force: force, log: log)
            try AtomicDirectory.write(to: output, replacing: force) { folder in
                try FuseHuggingFaceFolder.write(contents, into: folder)
            }
        case .gguf:
            let contents = try FuseGGUFOutput.prepare(source: source, model: model, fused: fused, precision: precision)
            report = contents.report
            try check(report, bits: bitsText, force: force, log: log)
            try contents.writer.write(to: output.path)
        }
        return FuseResult(output: output, fusedWeightCount: fused.count, report: report)
    }

    private static func check(_ report: FuseQuantizationReport, bits: String, force: Bool, log: (String) -> Void) throws {
        guard !report.layers.isEmpty else { return }
        if report.deltaVanishes {
            if !force { throw FuseError.deltaVanishes(report: report, bits: bits) }
            log(report.summary)
            log("warning: --force given: writing although re-quantization erased most of the adapter's change")
        } else {
            log(report.summary)
        }
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
