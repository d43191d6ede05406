import ArgumentParser
import Foundation
import GraftLM

/// `graft convert`: a GGUF or Hugging Face folder re-encoded as an MLX safetensors folder or a GGUF.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a GGUF file or Hugging Face folder into an MLX-layout safetensors folder or a GGUF (quantize, dequantize, change dtype).")

    @Option(help: "Source: a GGUF file, a Hugging Face folder or a Hub repository ORG/NAME (default: $GRAFT_CACHE/models/\(DefaultModel.fileName)).") var model: String?
    @Option(help: "Output folder (safetensors) or file (gguf).") var out: String
    @Option(help: "Output format: safetensors (MLX layout, loads in mlx-lm) or gguf.") var format: String = "safetensors"
    @Option(help: "Quantize every matrix to 4 or 8 bits (default: keep the source's quantization).") var quantize: Int?
    @Option(help: "Group size with --quantize: 32, 64 or 128 (default 64; GGUF needs 32).") var groupSize: Int?
    @Option(help: "Storage of float tensors and of MLX scales/biases: f16, bf16 or f32.") var dtype: String = "f32"
    @Option(help: "GGUF block type for --quantize 4: q4_1 (default) or q4_0.") var q4Type: String?
    @Flag(help: "Store every matrix as a float (in --dtype).") var dequantize = false
    @Flag(help: "Replace an existing output.") var force = false

    func run() throws {
        var options = ConvertOptions()
        guard let format = FuseFormat(rawValue: format) else {
            throw ValidationError("unknown --format '\(self.format)' (choose safetensors or gguf)")
        }
        options.format = format
        options.quantizeBits = quantize
        options.groupSize = groupSize
        options.dtype = try ConvertOptions.dtype(parsing: dtype)
        if let q4Type {
            guard format == .gguf && quantize == 4 else { throw ValidationError("--q4-type applies to --format gguf with --quantize 4") }
            switch q4Type.lowercased() {
            case "q4_0": options.ggufFourBitType = .q4_0
            case "q4_1": options.ggufFourBitType = .q4_1
            default: throw ValidationError("unknown --q4-type '\(q4Type)' (choose q4_0 or q4_1)")
            }
        }
        options.dequantize = dequantize
        options.force = force
        let source = try ModelLocator.resolve(model)
        let start = Date()
        let result = try ModelConverter.convert(source: source, output: URL(fileURLWithPath: out), options: options)
        print("before: \(result.before.summary)  (\(source.path))")
        print("after:  \(result.after.summary)  (\(result.output.path))")
        print(String(format: "converted in %.1f s", Date().timeIntervalSince(start)))
    }
}
