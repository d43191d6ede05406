/// What produces a node's value: a shape rule lives in the op's builder; this protocol holds
/// the CPU kernel and the vector-Jacobian product.
public protocol Primitive {
    /// Name used in error messages and graph dumps.
    var name: String { get }
    /// Computes the output buffer from the evaluated inputs (all contiguous, row-major).
    func forward(_ inputs: [Node], output: Node) -> Buffer
    /// Cotangents for the inputs whose `needs` flag is true (nil elsewhere), as lazy tensors.
    func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor, needs: [Bool]) -> [Tensor?]
}

extension Primitive {
    public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor, needs: [Bool]) -> [Tensor?] {
        raise(GraftError(name, "is not differentiable"))
        return inputs.map { _ in nil }
    }
}

/// A vertex of the lazy graph. `buffer` is set once evaluated. A node with no primitive is a
/// leaf (data given by the user, or an evaluated output detached from its inputs); leaves keep
/// their buffers, intermediates lose them right after their last consumer has run.
public final class Node {
    public let shape: [Int]
    public let dtype: DType
    public internal(set) var primitive: Primitive?
    public internal(set) var inputs: [Node]
    public internal(set) var buffer: Buffer?

    /// Scheduler scratch: consumers still to run in the current evaluation.
    var pendingUses = 0
    /// Scheduler scratch: visit mark for the current traversal.
    var mark = 0

    init(shape: [Int], dtype: DType, primitive: Primitive?, inputs: [Node], buffer: Buffer? = nil) {
        self.shape = shape
        self.dtype = dtype
        self.primitive = primitive
        self.inputs = inputs
        self.buffer = buffer
    }

    /// Number of elements.
    public var count: Int { Shapes.count(shape) }
    /// Size in bytes of the node's value.
    public var byteCount: Int { count * dtype.size }

    @inline(__always) func pointer<T>(_ t: T.Type) -> UnsafeMutablePointer<T> {
        buffer!.pointer(t)
    }

    /// Allocates a buffer the size of this node.
    func allocate() -> Buffer { Buffer(byteCount: byteCount) }
}

/// Placeholder produced by a failed operation inside `checked { }`.
struct Poisoned: Primitive {
    let name = "poisoned"
    func forward(_ inputs: [Node], output: Node) -> Buffer {
        fatalError("Graft: evaluated the result of an operation that failed")
    }
}
