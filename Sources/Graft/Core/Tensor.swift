/// A lazy n-dimensional array: a value type over a graph node.
///
/// Building an expression does no work; `eval(_:)` materialises it, and reading a value
/// (`item()`, `toArray()`, `description`) evaluates implicitly.
public struct Tensor: CustomStringConvertible {
    public let node: Node

    public init(node: Node) { self.node = node }

    /// Shape (row-major).
    public var shape: [Int] { node.shape }
    /// Element type.
    public var dtype: DType { node.dtype }
    /// Number of axes.
    public var ndim: Int { node.shape.count }
    /// Number of elements.
    public var size: Int { node.count }

    /// Length of axis `i` (negative counts from the end).
    public func dim(_ i: Int) -> Int { shape[i < 0 ? i + ndim : i] }

    /// Builds the node for a primitive application. Ops validate shapes before calling this.
    static func make(_ p: Primitive, _ inputs: [Tensor], shape: [Int], dtype: DType) -> Tensor {
        Tensor(node: Node(shape: shape, dtype: dtype, primitive: p, inputs: inputs.map(\.node)))
    }

    /// The placeholder returned by an operation that failed inside `checked { }`.
    static func failed(_ error: GraftError, shape: [Int] = [], dtype: DType = .float32) -> Tensor {
        raise(error)
        return Tensor(node: Node(shape: shape, dtype: dtype, primitive: Poisoned(), inputs: []))
    }

    /// Whether the value is already materialised.
    public var isEvaluated: Bool { node.buffer != nil }

    public var description: String {
        let values: [Double] = toArray(as: Double.self)
        let shown = values.prefix(16).map { v in
            dtype.isFloatingPoint ? String(Float(v)) : String(Int(v))
        }.joined(separator: ", ")
        let more = values.count > 16 ? ", …" : ""
        return "Tensor(shape: \(shape), dtype: \(dtype), [\(shown)\(more)])"
    }
}
