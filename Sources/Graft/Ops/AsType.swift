/// dtype conversion. float ↔ float rounds to nearest; float → int truncates toward zero.
struct AsType: Primitive {
    var name: String { "astype" }

    @inline(__always)
    static func convert<S, D>(_ s: UnsafeMutablePointer<S>, _ d: UnsafeMutablePointer<D>, _ n: Int, _ f: (S) -> D) {
        let s = SendPtr(s), d = SendPtr(d)
        Parallel.forEach(n, costPerItem: 2) { r in for i in r { d[i] = f(s[i]) } }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let x = inputs[0], out = output.allocate(), n = output.count
        switch (x.dtype, output.dtype) {
        case (.float16, .float32): AsType.convert(x.pointer(Float16.self), out.pointer(Float.self), n) { Float($0) }
        case (.bfloat16, .float32): AsType.convert(x.pointer(BFloat16.self), out.pointer(Float.self), n) { $0.float }
        case (.float32, .float16): AsType.convert(x.pointer(Float.self), out.pointer(Float16.self), n) { Float16($0) }
        case (.float32, .bfloat16): AsType.convert(x.pointer(Float.self), out.pointer(BFloat16.self), n) { BFloat16($0) }
        case (.float32, .float64): AsType.convert(x.pointer(Float.self), out.pointer(Double.self), n) { Double($0) }
        case (.float64, .float32): AsType.convert(x.pointer(Double.self), out.pointer(Float.self), n) { Float($0) }
        case (.bool, .float32): AsType.convert(x.pointer(UInt8.self), out.pointer(Float.self), n) { Float($0) }
        case (.int32, .float32): AsType.convert(x.pointer(Int32.self), out.pointer(Float.self), n) { Float($0) }
        case (.float32, .int32): AsType.convert(x.pointer(Float.self), out.pointer(Int32.self), n) { Int32($0) }
        default:
            // Uncommon pairs go through float64, which holds every value of the other types.
            let src = x.buffer!.data
            let dst = out.data
            for i in 0..<n {
                let v = Tensor.readDouble(src, x.dtype, i)
                switch output.dtype {
                case .float32: dst.assumingMemoryBound(to: Float.self)[i] = Float(v)
                case .float64: dst.assumingMemoryBound(to: Double.self)[i] = v
                case .float16: dst.assumingMemoryBound(to: Float16.self)[i] = Float16(Float(v))
                case .bfloat16: dst.assumingMemoryBound(to: BFloat16.self)[i] = BFloat16(Float(v))
                case .int32: dst.assumingMemoryBound(to: Int32.self)[i] = Int32(clamping: Int64(v))
                case .uint32: dst.assumingMemoryBound(to: UInt32.self)[i] = UInt32(clamping: Int64(v))
                case .bool: dst.assumingMemoryBound(to: UInt8.self)[i] = v != 0 ? 1 : 0
                }
            }
        }
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        inputs[0].dtype.isFloatingPoint ? [g.astype(inputs[0].dtype)] : [nil]
    }
}
