import Foundation

/// The floating-point types kernels compute in (float32, float64), with their libm functions.
public protocol KernelFloat: BinaryFloatingPoint, TensorElement, SIMDScalar {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
    static func sqrt(_ x: Self) -> Self
}

extension Float: KernelFloat {
    @inline(__always) public static func exp(_ x: Float) -> Float { Foundation.expf(x) }
    @inline(__always) public static func log(_ x: Float) -> Float { Foundation.logf(x) }
    @inline(__always) public static func tanh(_ x: Float) -> Float { Foundation.tanhf(x) }
    @inline(__always) public static func pow(_ x: Float, _ y: Float) -> Float { Foundation.powf(x, y) }
    @inline(__always) public static func sqrt(_ x: Float) -> Float { x.squareRoot() }
}

extension Double: KernelFloat {
    @inline(__always) public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inline(__always) public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
    @inline(__always) public static func sqrt(_ x: Double) -> Double { x.squareRoot() }
}

/// Runs `body` with the node's float type: float32 or float64. Other dtypes are a bug in the
/// op's validation, which rejects them before a node is built.
@inline(__always)
func dispatchFloat(_ dtype: DType, _ op: String, _ f32: () -> Void, _ f64: () -> Void) {
    switch dtype {
    case .float32: f32()
    case .float64: f64()
    default: fatalError("\(op): no kernel for \(dtype)")
    }
}

/// A pointer wrapper that may cross into `Parallel.forEach` workers (each writes a disjoint range).
struct SendPtr<T>: @unchecked Sendable {
    let p: UnsafeMutablePointer<T>
    init(_ p: UnsafeMutablePointer<T>) { self.p = p }
    @inline(__always) subscript(i: Int) -> T {
        get { p[i] }
        nonmutating set { p[i] = newValue }
    }
}
