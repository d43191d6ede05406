import Foundation
import Graft
import GraftIO

/// A fused model written as a GGUF (`graft fuse --format gguf`): the source GGUF's metadata
/// (architecture, tokenizer, chat template) and tensors under llama.cpp's names in its q/k row
/// order, with the adapted weights replaced. Untouched tensors already of the target type are
/// copied byte for byte; fused ones are encoded with ggml's reference quantizers.
public enum FuseGGUFOutput {
    /// The prepared file and the re-quantization measurements of the fused weights.
    public struct Contents {
        /// The file, ready to write.
        public var writer: GGUFWriter
        /// Measurements (empty for float32 output).
        public var report: FuseQuantizationReport
    }

    /// The GGUF type for a weight: `.float32` → F32; `.keep` → the source's type (F32 when Graft
    /// cannot encode it); `.quantized` → Q8_0 (8 bits) or Q4_1 (4 bits), group size 32 only.
    static func targetType(source: GGMLType, precision: FusePrecision, isMatrix: Bool, columns: Int) -> GGMLType {
        guard isMatrix, columns % 32 == 0 else { return .f32 }
        switch precision {
        case .float32: return .f32
        case .keep: return FuseGGMLQuantizer.supportedTypes.contains(source) || source == .f32 ? source : .f32
        case .quantized(let bits, _): return bits == 8 ? .q8_0 : .q4_1
        }
    }

    /// `general.file_type` for the output's main weight type.
    static func fileType(_ precision: FusePrecision, source: GGUFFile) -> UInt32 {
        switch precision {
        case .float32: return 0
        case .keep: return UInt32(source.metadata["general.file_type"]?.intValue ?? 0)
        case .quantized(let bits, _): return bits == 8 ? 7 : 3
        }
    }

    /// Builds the output from `source` (the GGUF `model` was loaded from) and the fused weights.
    /// - Throws: ``FuseError/unsupported(_:)`` for a model not in GGUF row order or a group
    ///   size other than 32; ``GGUFError`` for unreadable source tensors.
    public static func prepare(source: GGUFFile, model: LlamaModel, fused: [FusedProjection],
                               precision: FusePrecision) throws -> Contents {
        guard model.adapterRowOrder == .interleaved else {
            throw FuseError.unsupported("GGUF output needs a model loaded from a GGUF (interleaved q/k rows)")
        }
        if case .quantized(_, let groupSize) = precision, groupSize != 32 {
            throw FuseError.unsupported("GGUF blocks hold 32 values: --group-size \(groupSize) cannot be written as GGUF (use 32)")
        }
        let fusedByName = Dictionary(uniqueKeysWithValues: fused.compactMap { f in
            LlamaTensorNames.ggufName(forHuggingFace: f.key).map { ($0, f) }
        })
        var writer = GGUFWriter(alignment: source.alignment)
        for key in source.metadataKeys where key != "general.alignment" {
            writer.setValue(source.metadata[key]!, forKey: key)
        }
        writer.setValue(.uint32(fileType(precision, source: source)), forKey: "general.file_type")
        var measurements: [FusedDeltaMeasurement] = []
        for tensor in source.tensors {
            let shape = tensor.shape, isMatrix = shape.count == 2
            let type = targetType(source: tensor.type, precision: precision, isMatrix: isMatrix, columns: shape.last ?? 0)
            if fusedByName[tensor.name] != nil || type != tensor.type {
                let values = try fusedByName[tensor.name]?.fused ?? tensor.floats()
                if type == .f32 {
                    try writer.addTensor(name: tensor.name, shape: shape, floats: values)
                } else {
                    let bytes = FuseGGMLQuantizer.quantize(values, type: type)
                    if let f = fusedByName[tensor.name] {
                        let stored = try FuseGGMLQuantizer.dequantize(bytes, type: type, count: values.count)
                        measurements.append(FusedDeltaMeasurement(key: f.key, base: f.base, fused: f.fused, quantized: stored))
                    }
                    try writer.addTensor(name: tensor.name, type: type, shape: shape, bytes: bytes)
                }
            } else {
                try writer.addTensor(name: tensor.name, type: tensor.type, shape: shape, bytes: Array(tensor.data))
            }
        }
        return Contents(writer: writer, report: FuseQuantizationReport(layers: measurements))
    }
}
