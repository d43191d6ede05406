/// A tensor of an open `GGUFFile`: its info record plus its bytes inside the file's mapping.
///
/// The tensor keeps the mapping alive, so `data` stays valid as long as the tensor value does.
public struct GGUFTensor: Sendable {
    /// The info record (name, type, dimensions, offsets).
    public let info: GGUFTensorInfo
    /// The file the tensor came from (for error messages).
    public let path: String
    private let mapping: GGUFMemoryMap

    init(info: GGUFTensorInfo, mapping: GGUFMemoryMap) {
        self.info = info
        self.mapping = mapping
        self.path = mapping.path
    }

    /// The tensor's raw bytes inside the read-only mapping (exactly `info.byteCount` bytes).
    public var data: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mapping.bytes[info.fileRange])
    }

    /// Name of the tensor.
    public var name: String { info.name }
    /// Element type.
    public var type: GGMLType { info.type }
    /// Row-major shape (see `GGUFTensorInfo` for the dimension order).
    public var shape: [Int] { info.shape }
    /// Byte range in the file.
    public var byteRange: Range<Int> { info.fileRange }
}
