import Foundation
import GraftIO

/// ggml's reference quantizers for the block types `graft fuse` writes into a GGUF (the
/// algorithms of ggml's `quantize_row_*_ref`, formats.md §1.6), so a fused file holds what
/// llama.cpp's own tools would make from the same float weights.
enum FuseGGMLQuantizer {
    /// Types this quantizer writes.
    static let supportedTypes: Set<GGMLType> = [.q4_0, .q4_1, .q8_0]

    /// Encodes row-major `values` (a multiple of 32 of them) as blocks of `type`.
    static func quantize(_ values: [Float], type: GGMLType) -> [UInt8] {
        precondition(values.count % 32 == 0 && supportedTypes.contains(type))
        let blocks = values.count / 32
        var out = [UInt8](repeating: 0, count: blocks * type.bytesPerBlock)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for b in 0..<blocks {
                    let x = UnsafeBufferPointer(rebasing: src[(b * 32)..<(b * 32 + 32)])
                    let y = dst.baseAddress! + b * type.bytesPerBlock
                    switch type {
                    case .q8_0: q8_0(x, y)
                    case .q4_1: q4_1(x, y)
                    default: q4_0(x, y)
                    }
                }
            }
        }
        return out
    }

    /// The float values the blocks stand for.
    static func dequantize(_ bytes: [UInt8], type: GGMLType, count: Int) throws -> [Float] {
        try bytes.withUnsafeBytes { try GGMLDequantizer.dequantize($0, type: type, elementCount: count) }
    }

    private static func storeHalf(_ value: Float, _ y: UnsafeMutablePointer<UInt8>) {
        let h = HalfPrecision.halfBits(from: value)
        y[0] = UInt8(h & 0xFF)
        y[1] = UInt8(h >> 8)
    }

    /// d = max|x| / 127 (f16), q = round(x / d) as int8 (halves away from zero).
    private static func q8_0(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutablePointer<UInt8>) {
        var amax: Float = 0
        for v in x { amax = max(amax, abs(v)) }
        let d = amax / 127, id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, y)
        for j in 0..<32 { y[2 + j] = UInt8(bitPattern: Int8((x[j] * id).rounded())) }
    }

    /// d = (max − min) / 15, m = min (both f16), q = min(15, trunc((x − min)/d + 0.5)); element j
    /// in the low nibble of byte j, element j + 16 in its high nibble.
    private static func q4_1(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutablePointer<UInt8>) {
        var low = Float.greatestFiniteMagnitude, high = -Float.greatestFiniteMagnitude
        for v in x { if v < low { low = v }; if v > high { high = v } }
        let d = (high - low) / 15, id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, y)
        storeHalf(low, y + 2)
        for j in 0..<16 {
            let q0 = min(15, Int8(truncatingIfNeeded: Int((x[j] - low) * id + 0.5)))
            let q1 = min(15, Int8(truncatingIfNeeded: Int((x[j + 16] - low) * id + 0.5)))
            y[4 + j] = UInt8(q0) | UInt8(q1) << 4
        }
    }

    /// d = (signed value of largest magnitude) / −8 (f16), q = min(15, trunc(x/d + 8.5)).
    private static func q4_0(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutablePointer<UInt8>) {
        var amax: Float = 0, signedMax: Float = 0
        for v in x where amax < abs(v) { amax = abs(v); signedMax = v }
        let d = signedMax / -8, id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, y)
        for j in 0..<16 {
            let q0 = min(15, Int8(truncatingIfNeeded: Int(x[j] * id + 8.5)))
            let q1 = min(15, Int8(truncatingIfNeeded: Int(x[j + 16] * id + 8.5)))
            y[2 + j] = UInt8(q0) | UInt8(q1) << 4
        }
    }
}
