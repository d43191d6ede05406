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

    /// The ggml types matrices are written as.
    public struct WeightTypes: Sendable, Equatable {
        /// Float matrices (`.float32` precision, and matrices whose rows are not blocks of 32):
        /// F32, F16 or BF16.
        public var float: GGMLType
        /// 4-bit matrices: Q4_1 (offset and scale per block) or Q4_0 (scale only).
        public var fourBit: GGMLType

        /// F32 floats and Q4_1 for 4 bits (what `graft fuse` writes).
        public static let standard = WeightTypes(float: .f32, fourBit: .q4_1)

        /// Types for `float` and `fourBit`.
        public init(float: GGMLType, fourBit: GGMLType) {
            self.float = float
            self.fourBit = fourBit
        }
    }

    /// The GGUF type for a weight: `.float32` → `types.float`; `.keep` → the source's type when
    /// it is Q4_0, Q4_1 or Q8_0, else `types.float`; `.quantized` → Q8_0 (8 bits) or `types.fourBit`, group size
    /// 32 only. Vectors (norms) stay F32, as llama.cpp keeps them.
    static func targetType(source: GGMLType, precision: FusePrecision, isMatrix: Bool, columns: Int,
                           types: WeightTypes = .standard) -> GGMLType {
        guard isMatrix else { return .f32 }
        guard columns % 32 == 0 else { return types.float }
        switch precision {
        case .float32: return types.float
        case .keep: return FuseGGMLQuantizer.supportedTypes.contains(source) ? source : types.float
        case .quantized(let bits, _): return bits == 8 ? .q8_0 : types.fourBit
        }
    }

    /// `general.file_type` (llama.cpp's `llama_ftype`) for the output's main weight type.
    static func fileType(_ precision: FusePrecision, source: GGUFFile, types: WeightTypes = .standard) -> UInt32 {
        switch precision {
        case .float32: return types.float == .f16 ? 1 : types.float == .bf16 ? 32 : 0
        case .keep: return UInt32(source.metadata["general.file_type"]?.intValue ?? 0)
        case .quantized(let bits, _): return bits == 8 ? 7 : types.fourBit == .q4_0 ? 2 : 3
        }
    }

    /// Little-endian F16 or BF16 bytes of `values`.
    static func halfBytes(_ values: [Float], type: GGMLType) -> [UInt8] {
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

    /// Builds the output from `source` (the GGUF `model` was loaded from) and the fused weights.
    /// - Throws: ``FuseError/unsupported(_:)`` for a model not in GGUF row order or a group
    ///   size other than 32; ``GGUFError`` for unreadable source tensors.
    /// With no `fused` weights this re-encodes the source model (`graft convert`).
    public static func prepare(source: GGUFFile, model: LlamaModel, fused: [FusedProjection],
                               precision: FusePrecision, types: WeightTypes = .standard) throws -> Contents {
        guard [.f32, .f16, .bf16].contains(types.float), [.q4_0, .q4_1].contains(types.fourBit) else {
            throw FuseError.unsupported("GGUF matrices can be written as F32, F16, BF16, Q4_0, Q4_1 or Q8_0")
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
        writer.setValue(.uint32(fileType(precision, source: source, types: types)), forKey: "general.file_type")
        var measurements: [FusedDeltaMeasurement] = []
        for tensor in source.tensors {
            let shape = tensor.shape, isMatrix = shape.count == 2
            let type = targetType(source: tensor.type, precision: precision, isMatrix: isMatrix, columns: shape.last ?? 0, types: types)
            if fusedByName[tensor.name] != nil || type != tensor.type {
                let values = try fusedByName[tensor.name]?.fused ?? tensor.floats()
                if type == .f32 {
                    try writer.addTensor(name: tensor.name, shape: shape, floats: values)
                } else if type == .f16 || type == .bf16 {
                    try writer.addTensor(name: tensor.name, type: type, shape: shape, bytes: halfBytes(values, type: type))
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
