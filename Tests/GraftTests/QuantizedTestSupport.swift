import Graft

/// A packed weight with random words, scales in ±0.05 and offsets in ±0.2 (for kernel tests).
func randomQuantizedWeight(rows: Int, cols: Int, bits: Int, groupSize: Int, seed: UInt64) throws -> QuantizedWeight {
    var rng = TestRNG(seed)
    let words = (0..<(rows * cols * bits / 32)).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
    let groups = rows * cols / groupSize
    let scales = (0..<groups).map { _ in Float(rng.uniform(-0.05, 0.05)) }
    let biases = (0..<groups).map { _ in Float(rng.uniform(-0.2, 0.2)) }
    return try QuantizedWeight(packed: Tensor(words, shape: [rows, cols * bits / 32]),
                               scales: Tensor(scales, shape: [rows, cols / groupSize]),
                               biases: Tensor(biases, shape: [rows, cols / groupSize]), bits: bits, groupSize: groupSize)
}

/// Runs `body` once per few-row kernel this CPU has: on the packed weights (the portable Swift
/// kernel) and, where the CPU has AVX-512, on the interleaved copies (the default), labelled.
func forEachFewRowKernel(_ body: (String) throws -> Void) rethrows {
    defer { FewRowKernel.interleavedWhereAvailable = true }
    for interleaved in [false, true] {
        FewRowKernel.interleavedWhereAvailable = interleaved
        try body(interleaved ? "interleaved" : "packed")
    }
}
