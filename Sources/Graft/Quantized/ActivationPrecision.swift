/// How a quantized product's few-row (decoding) kernel reads its activations.
public enum ActivationPrecision: String, Sendable, CaseIterable {
    /// As given: float32, exact up to the order of the sums. Training and every gradient use it.
    case float32
    /// Rounded to signed 8 bits with one scale per 32 values (`round(x·127 / max|x|)`, the
    /// activation blocks llama.cpp uses for its quantized products), so the products run on
    /// 8-bit dot-product instructions (AVX-512 VNNI) on an interleaved copy of each weight
    /// (made at its first such use and kept with it): `GraftBench decode-step` (two threads)
    /// measured the SmolLM2 products ~1.25× faster than float32 on the same copy with one row
    /// and ~2× with four or eight. The result is the exact product of the weights with the
    /// rounded rows. Only in the few-row kernel (at most 8 rows; more take the float32 GEMM
    /// path) and only where the CPU has the instructions; elsewhere the kernel reads float32.
    case int8

    /// Whether this CPU runs `.int8` products (otherwise they read float32).
    public static var int8Available: Bool { QuantizedRowKernel.int8Available }
}

/// Which kernel the few-row (decoding) quantized products run.
public enum FewRowKernel {
    /// Whether products run on interleaved copies of the weights where the CPU has AVX-512 (the
    /// default; see ``ActivationPrecision``). False keeps every product on the packed weights in
    /// the portable Swift kernel that CPUs without AVX-512 run (int8 activations then read
    /// float32): for tests of that kernel and comparisons (`GraftBench decode-step --packed`).
    nonisolated(unsafe) public static var interleavedWhereAvailable = true

    /// Whether this CPU runs the float32 products on interleaved weights (AVX-512).
    public static var interleavedAvailable: Bool { QuantizedRowKernel.interleavedFloatAvailable }
}
