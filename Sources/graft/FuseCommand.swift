import ArgumentParser
import Foundation
import GraftLM

/// `graft fuse`: writes a model with the adapters folded into its weights.
struct FuseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuse",
        abstract: "Fuse LoRA adapters into a model: W' = W + scale·B·A, written as a Hugging Face folder or a GGUF.")

    @Option(help: "GGUF base model (default: $GRAFT_CACHE/models/\(DefaultModel.fileName)).") var model: String?
    @Option(help: "Adapters: a checkpoint (.h5), a run folder, a PEFT folder, an mlx-lm folder or a GGUF LoRA.") var adapter: String
    @Option(help: "Output folder (safetensors) or file (gguf).") var output: String
    @Option(help: "Output format: safetensors (Hugging Face folder) or gguf.") var format: String = "safetensors"
    @Flag(help: "Store every weight as float32 (same as --dtype f32).") var dequantize = false
    @Option(help: "Store every weight as a float: f32, f16 or bf16 (safetensors and GGUF; GGUF keeps norms in F32).") var dtype: String?
    @Option(help: "Quantize the weights to 4 or 8 bits (default: keep the base model's quantization).") var quantize: Int?
    @Option(help: "Group size with --quantize (32, 64 or 128; GGUF needs 32).") var groupSize: Int?
    @Flag(help: "Replace an existing output, and write even when storing erases most of the adapters' effect.") var force = false

    func validate() throws {
        guard FuseFormat(rawValue: format) != nil else { throw ValidationError("--format must be safetensors or gguf") }
        if dequantize && quantize != nil { throw ValidationError("--dequantize and --quantize exclude each other") }
        if let dtype {
            guard let type = FuseFloatType(rawValue: dtype) else { throw ValidationError("--dtype must be f32, f16 or bf16") }
            if quantize != nil { throw ValidationError("--dtype and --quantize exclude each other (--dtype is for float outputs)") }
            if dequantize && type != .f32 { throw ValidationError("--dequantize means --dtype f32; give one of them") }
        }
        if let quantize, quantize != 4 && quantize != 8 { throw ValidationError("--quantize must be 4 or 8") }
        if let groupSize, ![32, 64, 128].contains(groupSize) { throw ValidationError("--group-size must be 32, 64 or 128") }
        if groupSize != nil && quantize == nil { throw ValidationError("--group-size needs --quantize") }
    }

    func run() throws {
        let fuseFormat = FuseFormat(rawValue: format)!
        let precision: FusePrecision
        if let dtype {
            precision = .float(FuseFloatType(rawValue: dtype)!)
        } else if dequantize {
            precision = .float32
        } else if let quantize {
            precision = .quantized(bits: quantize, groupSize: groupSize ?? (fuseFormat == .gguf ? 32 : 64))
        } else {
            precision = .keep
        }
        let modelURL = try ModelLocator.resolve(model)
        let start = Date()
        let result = try ModelFuser.fuse(modelURL: modelURL, adapterPath: adapter, output: URL(fileURLWithPath: output),
                                         format: fuseFormat, precision: precision, force: force, log: { printError($0) })
        print(String(format: "fused %d weights into %@ in %.1f s", result.fusedWeightCount, result.output.path,
                     Date().timeIntervalSince(start)))
    }
}

/// `graft export-adapter`: adapters into the PEFT, mlx-lm or llama.cpp GGUF LoRA format.
struct ExportAdapterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-adapter",
        abstract: "Write adapters (a checkpoint, run folder, PEFT, mlx-lm or GGUF LoRA) as PEFT, mlx-lm or GGUF LoRA.")

    @Option(help: "Adapters: a checkpoint (.h5), a run folder, a PEFT folder, an mlx-lm folder or a GGUF LoRA.") var adapter: String
    @Option(help: "Output format: peft, mlx or gguf.") var format: String
    @Option(help: "Output folder (peft, mlx) or file (gguf).") var output: String
    @Option(help: "GGUF base model the adapters belong to (default: $GRAFT_CACHE/models/\(DefaultModel.fileName)).") var model: String?
    @Flag(help: "Replace an existing output.") var force = false

    func validate() throws {
        guard AdapterExporter.Format(rawValue: format) != nil else { throw ValidationError("--format must be peft, mlx or gguf") }
    }

    func run() throws {
        let modelURL = try ModelLocator.resolve(model)
        let loaded = try AdapterExporter.export(adapterPath: adapter, modelURL: modelURL, output: URL(fileURLWithPath: output),
                                                format: AdapterExporter.Format(rawValue: format)!, force: force)
        print("wrote \(loaded.adapter.tensors.count) adapter tensors (rank \(loaded.lora.rank), alpha \(loaded.lora.alpha)) from \(loaded.file.path) as \(format) to \(output)")
    }
}
