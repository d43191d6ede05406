/// Which pairs of a head's dimensions RoPE rotates together; it must match the row order of
/// the q/k projection weights (formats.md §1.10).
public enum RoPEConvention: Sendable, Equatable {
    /// Adjacent pairs `(x[2i], x[2i+1])`: ggml's "normal" mode, MLX `traditional: true`. Right for
    /// `llama` GGUF files, whose converter interleaved each head's q/k rows.
    case interleavedPairs
    /// The two halves `(x[i], x[i + d/2])`: Hugging Face's `rotate_half`, ggml "neox", MLX
    /// `traditional: false`. Right for Hugging Face / PEFT / mlx-lm safetensors row order.
    case halfSplit

    /// The `traditional` flag of `Tensor.rope`.
    var traditional: Bool { self == .interleavedPairs }
}
