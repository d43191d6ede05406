/// One entry of a GGUF tensor-info table.
///
/// **Dimension order.** GGUF stores the dimensions fastest-varying first (`ne[0]` is contiguous
/// in memory), the reverse of NumPy/PyTorch. `dimensions` keeps the file's order; `shape`
/// reverses it into the row-major order used everywhere else in Graft. A PyTorch `[out, in]`
/// weight is stored with `ne = [in, out]` and identical memory, so `shape == [out, in]`, and for
/// quantized types each row of `in` elements is a run of whole blocks.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// Tensor name, e.g. `blk.0.attn_q.weight`.
    public let name: String
    /// Element type.
    public let type: GGMLType
    /// Dimensions as stored (`ne[0]` first, fastest-varying).
    public let dimensions: [Int]
    /// Offset of the first byte relative to the start of the data section.
    public let relativeOffset: Int
    /// Offset of the first byte in the file (`dataStart + relativeOffset`).
    public let fileOffset: Int
    /// Number of bytes the tensor occupies (without alignment padding).
    public let byteCount: Int

    /// Creates an info record (used by the parser; validation happens there).
    public init(name: String, type: GGMLType, dimensions: [Int], relativeOffset: Int, fileOffset: Int, byteCount: Int) {
        self.name = name
        self.type = type
        self.dimensions = dimensions
        self.relativeOffset = relativeOffset
        self.fileOffset = fileOffset
        self.byteCount = byteCount
    }

    /// Row-major shape (`dimensions` reversed), e.g. `[49152, 576]` for `token_embd.weight`.
    public var shape: [Int] { Array(dimensions.reversed()) }

    /// Total number of elements.
    public var elementCount: Int { dimensions.reduce(1, *) }

    /// Length of one row (the contiguous dimension, `ne[0]`).
    public var columns: Int { dimensions.first ?? 1 }

    /// Number of rows when the tensor is viewed as a row-major 2-D matrix `[rows, columns]`
    /// (all leading row-major dimensions folded together).
    public var rows: Int { columns == 0 ? 0 : elementCount / columns }

    /// Byte range in the file.
    public var fileRange: Range<Int> { fileOffset ..< fileOffset + byteCount }
}
