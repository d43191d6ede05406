import Foundation
import Graft
import GraftIO

/// What `graft convert` wrote.
public struct ConvertResult: Sendable {
    /// The folder or file written.
    public let output: URL
    /// The source's storage.
    public let before: ModelStorage
    /// The output's storage.
    public let after: ModelStorage
}

/// `graft convert`: a GGUF file or Hugging Face folder re-encoded as an MLX-layout safetensors
/// folder (config.json with its `quantization` block, packed `weight`/`scales`/`biases` per
/// quantized matrix, tokenizer files with the chat template) or a GGUF file (Q4_0, Q4_1, Q8_0,
/// F16, BF16 or F32 matrices; tokenizer and chat template in the metadata; from a folder, the
/// llama.cpp metadata is built from config.json and the tokenizer files).
///
/// This is `graft fuse` without adapters: both use ``FuseHuggingFaceFolder`` and
/// ``FuseGGUFOutput`` to encode and write.
public enum ModelConverter {
    /// Converts the model at `source` and writes `output`.
    ///
    /// The output is refused when it exists (unless `options.force`); folders are built in a
    /// hidden sibling folder and renamed, files are written to a temporary file and renamed, so
    /// `output` never holds a half-written model.
    /// - Throws: ``ConvertError`` for options, an existing output or rows the group size does
    ///   not divide; the loaders' errors (each names its file).
    public static func convert(source: URL, output: URL, options: ConvertOptions,
                               log: (String) -> Void = { _ in }) throws -> ConvertResult {
        try options.validate()
        if output.standardizedFileURL.path == source.standardizedFileURL.path { throw ConvertError.outputIsSource(path: output.path) }
        if FileManager.default.fileExists(atPath: output.path) && !options.force { throw ConvertError.outputExists(path: output.path) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory) else {
            throw ModelError.invalidInput("model not found: \(source.path) (give a GGUF file or a Hugging Face model folder)")
        }
        let gguf = isDirectory.boolValue ? nil : try GGUFFile(path: source.path)
        let model = try gguf.map { try LlamaModel(gguf: $0) } ?? LlamaModel.load(huggingFace: source)
        if case .quantized(_, let groupSize) = options.precision { try checkRows(model, groupSize: groupSize, source: source.path) }
        let before = try ModelStorage.measure(source, parameterCount: model.weightCount)
        log("source: \(source.path): \(before.summary)")

        switch options.format {
        case .safetensors:
            let tokenizer = try gguf.map { try HuggingFaceTokenizerFiles(tokenizer: BPETokenizer(gguf: $0), modelMaxLength: model.config.contextLength) }
                ?? HuggingFaceTokenizerFiles(copyingFrom: source)
            let contents = try FuseHuggingFaceFolder.prepare(model: model, fused: [], precision: options.precision,
                                                             floatType: options.dtype, tokenizer: tokenizer)
            try AtomicDirectory.write(to: output, replacing: options.force) { folder in
                try FuseHuggingFaceFolder.write(contents, into: folder)
            }
        case .gguf:
            if let gguf {
                let contents = try FuseGGUFOutput.prepare(source: gguf, model: model, fused: [], precision: options.precision,
                                                          floatType: options.dtype, fourBit: options.ggufFourBitType)
                try contents.writer.write(to: output.path)
            } else {
                // A folder goes through a float32 GGUF with llama.cpp's names and metadata, written
                // next to the output and removed afterwards.
                let staged = output.deletingLastPathComponent()
                    .appendingPathComponent(".\(output.lastPathComponent).float32-\(ProcessInfo.processInfo.processIdentifier).gguf")
                defer { try? FileManager.default.removeItem(at: staged) }
                try GGUFFromHuggingFace.writer(model: model, directory: source).write(to: staged.path)
                let stagedFile = try GGUFFile(path: staged.path)
                let contents = try FuseGGUFOutput.prepare(source: stagedFile, model: try LlamaModel(gguf: stagedFile), fused: [],
                                                          precision: options.precision,
                                                          floatType: options.dtype, fourBit: options.ggufFourBitType)
                try contents.writer.write(to: output.path)
            }
        }
        let after = try ModelStorage.measure(output, parameterCount: model.weightCount)
        return ConvertResult(output: output, before: before, after: after)
    }

    /// Refuses quantization when a matrix's row length is not a multiple of `groupSize`.
    static func checkRows(_ model: LlamaModel, groupSize: Int, source: String) throws {
        for (path, tensor) in model.parameters.flattened() where path.hasSuffix(".weight") {
            let packed = model.linearWeights(stem: String(path.dropLast(".weight".count)))?.quantizedBase
            let shape = packed.map { [$0.rows, $0.cols] } ?? tensor.shape
            guard shape.count == 2, shape[1] % groupSize != 0 else { continue }
            throw ConvertError.rowLengthNotDivisible(source: source, tensor: path, rows: shape[0], columns: shape[1], groupSize: groupSize)
        }
    }
}
