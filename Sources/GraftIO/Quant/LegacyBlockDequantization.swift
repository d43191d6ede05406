/// Dequantization kernels for ggml's 32-element block types Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0
/// (layouts in docs/formats.md §1.6). Each kernel reads `blockCount` consecutive blocks from
/// `source` and writes `32 · blockCount` floats to `output`. The arithmetic mirrors the
/// reference (gguf-py) order of operations, so results are bit-identical to it.
enum LegacyBlockDequantization {
    static func q4_0(_ source: UnsafeRawPointer, blockCount: Int, _ output: UnsafeMutablePointer<Float>) {
        HalfPrecision.halfTable.withUnsafeBufferPointer { half in
            for b in 0 ..< blockCount {
                let block = source + b * 18
                let d = half[Int(block.loadUnaligned(as: UInt16.self))]
                let out = output + b * 32
                for j in 0 ..< 16 {
                    let byte = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                    out[j] = d * Float(Int32(byte & 0x0F) - 8)
                    out[j + 16] = d * Float(Int32(byte >> 4) - 8)
                }
            }
        }
    }

    static func q4_1(_ source: UnsafeRawPointer, blockCount: Int, _ output: UnsafeMutablePointer<Float>) {
        HalfPrecision.halfTable.withUnsafeBufferPointer { half in
            for b in 0 ..< blockCount {
                let block = source + b * 20
                let d = half[Int(block.loadUnaligned(as: UInt16.self))]
                let m = half[Int(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))]
                let out = output + b * 32
                for j in 0 ..< 16 {
                    let byte = block.load(fromByteOffset: 4 + j, as: UInt8.self)
                    out[j] = d * Float(byte & 0x0F) + m
                    out[j + 16] = d * Float(byte >> 4) + m
                }
            }
        }
    }

    static func q5_0(_ source: UnsafeRawPointer, blockCount: Int, _ output: UnsafeMutablePointer<Float>) {
        HalfPrecision.halfTable.withUnsafeBufferPointer { half in
            for b in 0 ..< blockCount {
                let block = source + b * 22
                let d = half[Int(block.loadUnaligned(as: UInt16.self))]
                let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
                let out = output + b * 32
                for j in 0 ..< 16 {
                    let byte = UInt32(block.load(fromByteOffset: 6 + j, as: UInt8.self))
                    let low = (byte & 0x0F) | (((qh >> UInt32(j)) & 1) << 4)
                    let high = (byte >> 4) | (((qh >> UInt32(j + 16)) & 1) << 4)
                    out[j] = d * Float(Int32(low) - 16)
                    out[j + 16] = d * Float(Int32(high) - 16)
                }
            }
        }
    }

    static func q5_1(_ source: UnsafeRawPointer, blockCount: Int, _ output: UnsafeMutablePointer<Float>) {
        HalfPrecision.halfTable.withUnsafeBufferPointer { half in
            for b in 0 ..< blockCount {
                let block = source + b * 24
                let d = half[Int(block.loadUnaligned(as: UInt16.self))]
                let m = half[Int(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))]
                let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                let out = output + b * 32
                for j in 0 ..< 16 {
                    let byte = UInt32(block.load(fromByteOffset: 8 + j, as: UInt8.self))
                    let low = (byte & 0x0F) | (((qh >> UInt32(j)) & 1) << 4)
                    let high = (byte >> 4) | (((qh >> UInt32(j + 16)) & 1) << 4)
                    out[j] = d * Float(low) + m
                    out[j + 16] = d * Float(high) + m
                }
            }
        }
    }

    static func q8_0(_ source: UnsafeRawPointer, blockCount: Int, _ output: UnsafeMutablePointer<Float>) {
        HalfPrecision.halfTable.withUnsafeBufferPointer { half in
            for b in 0 ..< blockCount {
                let block = source + b * 34
                let d = half[Int(block.loadUnaligned(as: UInt16.self))]
                let out = output + b * 32
                for j in 0 ..< 32 {
                    out[j] = d * Float(block.load(fromByteOffset: 2 + j, as: Int8.self))
                }
            }
        }
    }
}
