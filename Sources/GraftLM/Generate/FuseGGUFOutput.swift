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

    /// The GGUF type for a weight: vectors (norms) stay F32, as llama.cpp keeps them;
    /// `.float` → `floats` (F32, F16 or BF16); `.keep` → the source's type when it is Q4_0, Q4_1
    /// or Q8_0, else `floats`; `.quantized` → Q8_0 (8 bits) or `fourBit` (Q4_1 or Q4_0), group
    /// size 32 only, and `floats` for rows that are not blocks of 32.
    static func targetType(source: GGMLType, precision: FusePrecision, isMatrix: Bool, columns: Int,
                           floats: FuseFloatType, fourBit: GGMLType = .q4_1) -> GGMLType {
        guard isMatrix else { return .f32 }
        switch precision {
        case .float: return floats.ggml
        case _ where columns % 32 != 0: return floats.ggml
        case .keep: return FuseGGMLQuantizer.supportedTypes.contains(source) ? source : floats.ggml
        case .quantized(let bits, _): return bits == 8 ? .q8_0 : fourBit
        }
    }

    /// `general.file_type` for the output's main weight type (llama.cpp's `llama_ftype`: all F32
    /// 0, mostly F16 1, Q4_0 2, Q4_1 3, Q8_0 7, BF16 32).
    static func fileType(_ precision: FusePrecision, source: GGUFFile, fourBit: GGMLType = .q4_1) -> UInt32 {
        switch precision {
        case .float(.f32): return 0
        case .float(.f16): return 1
        case .float(.bf16): return 32
        case .keep: return UInt32(source.metadata["general.file_type"]?.intValue ?? 0)
        case .quantized(let bits, _): return bits == 8 ? 7 : fourBit == .q4_0 ? 2 : 3
        }
    }

    /// Builds the output from `source` (the GGUF `model` was loaded from) and the fused weights;
    /// with no `fused` weights this re-encodes the source model (`graft convert`).
    ///
    /// `floatType` stores the matrices written as floats under `.keep` and `.quantized` (nil:
    /// F32); `.float(type)` stores every matrix as `type`. `fourBit` is the block type of
    /// `.quantized(bits: 4, …)`: Q4_1 (scale and offset) or Q4_0 (scale only).
    /// - Throws: ``FuseError/unsupported(_:)`` for a model not in GGUF row order, a group size
    ///   other than 32, a 4-bit type other than Q4_0/Q4_1 or a float type that contradicts
    ///   `precision`; ``GGUFError`` for unreadable source tensors.
    public static func prepare(source: GGUFFile, model: LlamaModel, fused: [FusedProjection], precision: FusePrecision,
                               floatType: FuseFloatType? = nil, fourBit: GGMLType = .q4_1) throws -> Contents {
        let floats = try precision.floatStorage(floatType)
        guard [.q4_0, .q4_1].contains(fourBit) else {
            throw FuseError.unsupported("4-bit GGUF matrices can be written as Q4_0 or Q4_1, not \(fourBit)")
        }
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
        writer.setValue(.uint32(fileType(precision, source: source, fourBit: fourBit)), forKey: "general.file_type")
        var measurements: [FusedDeltaMeasurement] = []
        var stored: [String: [Float]] = [:]
        for tensor in source.tensors {
            let shape = tensor.shape, isMatrix = shape.count == 2
            let type = targetType(source: tensor.type, precision: precision, isMatrix: isMatrix, columns: shape.last ?? 0,
                                  floats: floats, fourBit: fourBit)
            if fusedByName[tensor.name] != nil || type != tensor.type {
                let values = try fusedByName[tensor.name]?.fused ?? tensor.floats()
                let fused = fusedByName[tensor.name]
                switch type {
                case .f32:
                    try writer.addTensor(name: tensor.name, shape: shape, floats: values)
                    if let fused { stored[fused.key] = values }
                case .f16, .bf16:
                    try writer.addTensor(name: tensor.name, type: type, shape: shape, bytes: Self.halfBytes(values, type: floats))
                    if let fused { stored[fused.key] = values.map(floats.rounded) }
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

    /// Little-endian F16 or BF16 bytes of `values` (round to nearest even).
    static func halfBytes(_ values: [Float], type: FuseFloatType) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: values.count * 2)
        bytes.withUnsafeMutableBufferPointer { out in
            for (i, v) in values.enumerated() {
                let h = type == .bf16 ? HalfPrecision.bfloat16Bits(from: v) : HalfPrecision.halfBits(from: v)
                out[2 * i] = UInt8(h & 0xFF)
                out[2 * i + 1] = UInt8(h >> 8)
            }
        }
        return bytes
    }
}
