/// Element types that quantization scales and biases are stored in: float32, or float16 when
/// every value is exactly a half. GGUF's Q4_0, Q4_1 and Q8_0 blocks store their factors as
/// halves, so their scales and biases lose nothing in float16 and the decode kernels, which
/// stream every weight once per token, read 4 instead of 8 bytes of them per group. Attention
/// reads a KV cache's keys and values through the same ``lanes(_:_:)``.
protocol QuantizationScale: TensorElement {
    /// The value as a float32.
    var float: Float { get }
}

extension QuantizationScale {
    /// The 8 values at `p + offset` as float32 lanes (one `vcvtph2ps` for halves).
    @inline(__always)
    static func lanes(_ p: UnsafeMutablePointer<Self>, _ offset: Int) -> SIMD8<Float> {
        let raw = UnsafeRawPointer(p + offset)
        if Self.self == Float.self { return raw.loadUnaligned(as: SIMD8<Float>.self) }
        // Element by element, which LLVM folds into one `vcvtph2ps`: the vector initialiser
        // `SIMD8<Float>(SIMD8<Float16>)` stayed an out-of-line call inside attention's loops.
        let h = raw.loadUnaligned(as: SIMD8<Float16>.self)
        return SIMD8<Float>(Float(h[0]), Float(h[1]), Float(h[2]), Float(h[3]),
                            Float(h[4]), Float(h[5]), Float(h[6]), Float(h[7]))
    }
}

extension Float: QuantizationScale {
    @inline(__always) var float: Float { self }
}

extension Float16: QuantizationScale {
    @inline(__always) var float: Float { Float(self) }
}
