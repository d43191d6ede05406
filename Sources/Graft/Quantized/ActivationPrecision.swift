/// How a quantized product's few-row (decoding) kernel reads its activations.
public enum ActivationPrecision: String, Sendable, CaseIterable {
    /// As given: float32, exact up to the order of the sums. Training and every gradient use it.
    case float32
    /// Rounded to signed 8 bits with one scale per 32 values (`round(x·127 / max|x|)`, the
    /// activation blocks llama.cpp uses for its quantized products), so the products run on
    /// 8-bit dot-product instructions (AVX-512 VNNI): about 1.5–2× faster with several rows,
    /// slightly faster with one. Only where the CPU has them; elsewhere the kernel reads float32.
    /// The bias term (`bias·Σx` per group) stays exact.
    case int8

    /// Whether this CPU runs `.int8` products (otherwise they read float32).
    public static var int8Available: Bool { QuantizedRowKernel.int8Available }
}
