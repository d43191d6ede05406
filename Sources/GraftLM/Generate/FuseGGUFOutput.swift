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
        /// Measurements (empty for float output).
        public var report: FuseQuantizationReport
        /// The adapted weights as stored (dequantized or rounded back to float32), by Hugging
        /// Face key path, in the model's (GGUF) row order.
        public var stored: [String: [Float]]
    }

    /// The GGUF type for a weight: `.float` → F32, F16 or BF16 for matrices (vectors stay F32, as
    /// llama.cpp's converter writes them); `.keep` → the source's type (F32 when Graft cannot
    /// encode it); `.quantized` → Q8_0 (8 bits) or Q4_1 (4 bits), group size 32 only.
    static func targetType(source: GGMLType, precision: FusePrecision, isMatrix: Bool, columns: Int) -> GGMLType {
        guard isMatrix else { return .f32 }
        if case .float(let type) = precision {
            switch type {
            case .f32: return .f32
            case .f16: return .f16
            case .bf16: return .bf16
            }
        }
        guard columns % 32 == 0 else { return .f32 }
        switch precision {
        case .float: return .f32
        case .keep: return FuseGGMLQuantizer.supportedTypes.contains(source) || source == .f32 ? source : .f32
        case .quantized(let bits, _): return bits == 8 ? .q8_0 : .q4_1
        }
    }

    /// `general.file_type` for the output's main weight type (llama.cpp's `llama_ftype`: all F32
    /// 0, mostly F16 1, Q4_1 3, Q8_0 7, BF16 32).
    static func fileType(_ precision: FusePrecision, source: GGUFFile) -> UInt32 {
        switch precision {
        case .float(.f32): return 0
        case .float(.f16): return 1
        case .float(.bf16): return 32
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
        var stored: [String: [Float]] = [:]
        for tensor in source.tensors {
            let shape = tensor.shape, isMatrix = shape.count == 2
            let type = targetType(source: tensor.type, precision: precision, isMatrix: isMatrix, columns: shape.last ?? 0)
            if fusedByName[tensor.name] != nil || type != tensor.type {
                let values = try fusedByName[tensor.name]?.fused ?? tensor.floats()
                let fused = fusedByName[tensor.name]
                switch type {
                case .f32:
                    try writer.addTensor(name: tensor.name, shape: shape, floats: values)
                    if let fused { stored[fused.key] = values }
                case .f16:
                    try writer.addTensor(name: tensor.name, shape: shape, halfPrecisionFloats: values)
                    if let fused { stored[fused.key] = values.map(FuseFloatType.f16.rounded) }
                case .bf16:
                    try writer.addTensor(name: tensor.name, type: .bf16, shape: shape, bytes: Self.bfloat16Bytes(values))
                    if let fused { stored[fused.key] = values.map(FuseFloatType.bf16.rounded) }
                default:
                    let bytes = FuseGGMLQuantizer.quantize(values, type: type)
                    if let fused {
                        let dequantized = try FuseGGMLQuantizer.dequantize(bytes, type: type, count: values.count)
                        measurements.append(FusedDeltaMeasurement(key: fused.key, base: fused.base, fused: fused.fused, quantized: dequantized))
                        stored[fused.key] = dequantized
                    }
                    try writer.addTensor(name: tensor.name, type: type, shape: shape, bytes: bytes)
                }
            } else {
                try writer.addTensor(name: tensor.name, type: tensor.type, shape: shape, bytes: Array(tensor.data))
            }
        }
        return Contents(writer: writer, report: FuseQuantizationReport(layers: measurements), stored: stored)
    }

    /// Little-endian bfloat16 bytes of `values` (round to nearest even).
    static func bfloat16Bytes(_ values: [Float]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: values.count * 2)
        for (i, v) in values.enumerated() {
            let bits = HalfPrecision.bfloat16Bits(from: v)
            bytes[2 * i] = UInt8(bits & 0xFF)
            bytes[2 * i + 1] = UInt8(bits >> 8)
        }
        return bytes
    }
}
