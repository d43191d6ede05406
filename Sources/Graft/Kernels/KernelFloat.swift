import Foundation

/// The floating-point types kernels compute in (float32, float64), with their libm functions.
public protocol KernelFloat: BinaryFloatingPoint, TensorElement, SIMDScalar {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
    static func sqrt(_ x: Self) -> Self
    /// The largest of `count` contiguous values (−∞ for none).
    static func maximum(_ x: UnsafeMutablePointer<Self>, count: Int) -> Self
    /// `y[i] = exp(x[i] − shift)` for `count` contiguous values (`y` may be `x`).
    static func exponentials(_ x: UnsafeMutablePointer<Self>, minus shift: Self, into y: UnsafeMutablePointer<Self>, count: Int)
    /// Σ exp(x[i] − shift) over `count` contiguous values, accumulated in float64 (over a
    /// vocabulary a float32 running sum drops the small terms).
    static func sumOfExponentials(_ x: UnsafeMutablePointer<Self>, minus shift: Self, count: Int) -> Double
    /// Σ x[i] over `count` contiguous values, accumulated in float64 (summing exponentials
    /// already computed gives what ``sumOfExponentials(_:minus:count:)`` gives).
    static func sumInFloat64(_ x: UnsafeMutablePointer<Self>, count: Int) -> Double
}

extension Float: KernelFloat {
    /// ``VectorMath/exp(_:)``: branch-free, so loops over it vectorise (libm's `expf` is a call).
    @inline(__always) public static func exp(_ x: Float) -> Float { VectorMath.exp(x) }
    @inline(__always) public static func log(_ x: Float) -> Float { Foundation.logf(x) }
    @inline(__always) public static func tanh(_ x: Float) -> Float { Foundation.tanhf(x) }
    @inline(__always) public static func pow(_ x: Float, _ y: Float) -> Float { Foundation.powf(x, y) }
    @inline(__always) public static func sqrt(_ x: Float) -> Float { x.squareRoot() }
    @inline(__always) public static func maximum(_ x: UnsafeMutablePointer<Float>, count: Int) -> Float {
        VectorMath.maximum(x, count: count)
    }
    @inline(__always) public static func exponentials(_ x: UnsafeMutablePointer<Float>, minus shift: Float,
                                                      into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] = VectorMath.exp(x[i] - shift) }
    }
    @inline(__always) public static func sumOfExponentials(_ x: UnsafeMutablePointer<Float>, minus shift: Float,
                                                           count: Int) -> Double {
        VectorMath.sumOfExponentials(x, minus: shift, count: count)
    }
    @inline(__always) public static func sumInFloat64(_ x: UnsafeMutablePointer<Float>, count: Int) -> Double {
        VectorMath.sum(x, count: count)
    }
}

extension Double: KernelFloat {
    @inline(__always) public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inline(__always) public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
    @inline(__always) public static func sqrt(_ x: Double) -> Double { x.squareRoot() }
    @inline(__always) public static func maximum(_ x: UnsafeMutablePointer<Double>, count: Int) -> Double {
        var m = -Double.infinity
        for i in 0..<count { m = Swift.max(m, x[i]) }
        return m
    }
    @inline(__always) public static func exponentials(_ x: UnsafeMutablePointer<Double>, minus shift: Double,
                                                      into y: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { y[i] = Foundation.exp(x[i] - shift) }
    }
    @inline(__always) public static func sumOfExponentials(_ x: UnsafeMutablePointer<Double>, minus shift: Double,
                                                           count: Int) -> Double {
        var s = 0.0
        for i in 0..<count { s += Foundation.exp(x[i] - shift) }
        return s
    }
    @inline(__always) public static func sumInFloat64(_ x: UnsafeMutablePointer<Double>, count: Int) -> Double {
        var s = 0.0
        for i in 0..<count { s += x[i] }
        return s
    }
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
