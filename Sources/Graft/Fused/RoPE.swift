import Foundation

/// Rotary position embedding on the last axis of `[..., T, D]`, positions `offset ..< offset+T`
/// along axis -2. `traditional` rotates adjacent pairs (x[2i], x[2i+1]); otherwise the two
/// halves (x[i], x[i + dims/2]) as in Hugging Face's Llama. Axes beyond `dims` pass through.
struct RoPE: Primitive {
    let dims: Int
    let traditional: Bool
    let offset: Int
    let scale: Double
    /// One inverse frequency per rotated pair: `base^(-2i/dims)` or a given table.
    let inverseFrequencies: [Double]
    /// Rotate by −θ (the vjp of a rotation is its inverse).
    let inverse: Bool
    var name: String { "rope" }

    static func run<T: KernelFloat>(_ p: RoPE, _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>,
                                    rows: Int, seq: Int, dim: Int) {
        let half = p.dims / 2
        // Angle tables for every position in this call.
        var cosT = [T](repeating: 0, count: seq * half), sinT = cosT
        for t in 0..<seq {
            let pos = Double(p.offset + t) * p.scale
            for i in 0..<half {
                let a = pos * p.inverseFrequencies[i]
                cosT[t * half + i] = T(Foundation.cos(a))
                sinT[t * half + i] = T(p.inverse ? -Foundation.sin(a) : Foundation.sin(a))
            }
        }
        let x = SendPtr(x), y = SendPtr(y)
        let (stride0, stride1) = p.traditional ? (2, 1) : (1, half)
        cosT.withUnsafeBufferPointer { cp in
            sinT.withUnsafeBufferPointer { sp in
                let c = cp.baseAddress!, s = sp.baseAddress!
                let cs = SendPtr(UnsafeMutablePointer(mutating: c)), ss = SendPtr(UnsafeMutablePointer(mutating: s))
                Parallel.forEach(rows, costPerItem: dim * 4) { r in
                    for row in r {
                        let t = row % seq
                        let src = x.p + row * dim, dst = y.p + row * dim
                        let ct = cs.p + t * half, st = ss.p + t * half
                        for i in 0..<half {
                            let i0 = i * stride0, i1 = i * stride0 + stride1
                            let a = src[i0], b = src[i1]
                            dst[i0] = a * ct[i] - b * st[i]
                            dst[i1] = a * st[i] + b * ct[i]
                        }
                        for i in p.dims..<dim { dst[i] = src[i] }
                    }
                }
            }
        }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let x = inputs[0]
        let dim = x.shape[x.shape.count - 1], seq = x.shape[x.shape.count - 2]
        let rows = x.count / max(dim, 1)
        dispatchFloat(x.dtype, name, { RoPE.run(self, x.pointer(Float.self), out.pointer(Float.self), rows: rows, seq: seq, dim: dim) },
                      { RoPE.run(self, x.pointer(Double.self), out.pointer(Double.self), rows: rows, seq: seq, dim: dim) })
        return out
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        let back = RoPE(dims: dims, traditional: traditional, offset: offset, scale: scale,
                        inverseFrequencies: inverseFrequencies, inverse: !inverse)
        return [Tensor.make(back, [g], shape: g.shape, dtype: g.dtype)]
    }
}

extension Tensor {
    /// Rotary position embedding (see `RoPE`). `inverseFrequencies`, when given, replaces
    /// `base^(-2i/dims)` (Llama-3 style scaled frequencies).
    public func rope(dims: Int? = nil, traditional: Bool, base: Double = 10_000, scale: Double = 1,
                     offset: Int = 0, inverseFrequencies: [Double]? = nil) -> Tensor {
        let d = dims ?? (shape.last ?? 0)
        guard ndim >= 2, d % 2 == 0, d <= shape.last!, dtype.isFloatingCompute,
              inverseFrequencies.map({ $0.count == d / 2 }) ?? true else {
            return Tensor.failed(GraftError("rope", "x \(shape) \(dtype) cannot rotate \(d) dims (needs even dims ≤ last axis, rank ≥ 2)"))
        }
        let inv = inverseFrequencies ?? (0..<(d / 2)).map { Foundation.pow(base, -2 * Double($0) / Double(d)) }
        return Tensor.make(RoPE(dims: d, traditional: traditional, offset: offset, scale: scale,
                                inverseFrequencies: inv, inverse: false), [self], shape: shape, dtype: dtype)
    }
}
