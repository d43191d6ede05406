/// Causal scaled-dot-product attention with grouped KV heads:
/// q `[B, Hq, T, D]`, k `[B, Hkv, S, D]`, v `[B, Hkv, S, Dv]` → `[B, Hq, T, Dv]`, where query t
/// sits at position `S − T + t` (so a KV cache's earlier keys are visible) and `Hq` is a
/// multiple of `Hkv`.
///
/// With `keyLengths` (one per batch row), row `b` sees only its first `keyLengths[b]` keys and
/// values, and its query t sits at position `keyLengths[b] − T + t`: k and v are then storage
/// of capacity `S` (a preallocated KV cache) whose later positions are never read.
struct Attention: Primitive {
    let scale: Double
    let causal: Bool
    /// Valid keys per batch row (nil: all `S`).
    let keyLengths: [Int]?
    var name: String { "attention" }

    static func run<T: KernelFloat>(_ q: UnsafeMutablePointer<T>, _ k: UnsafeMutablePointer<T>, _ v: UnsafeMutablePointer<T>,
                                    _ o: UnsafeMutablePointer<T>, b: Int, hq: Int, hkv: Int, t: Int, s: Int, d: Int, dv: Int,
                                    scale: T, causal: Bool, keyLengths: [Int]?) {
        let group = hq / hkv
        let qs = SendPtr(q), ks = SendPtr(k), vs = SendPtr(v), os = SendPtr(o)
        Gemm.perItem(b * hq, cost: t * s * (d + dv)) { r in
            let scores = UnsafeMutablePointer<T>.allocate(capacity: t * s)
            defer { scores.deallocate() }
            for bh in r {
                let batch = bh / hq, head = bh % hq
                let kvh = batch * hkv + head / group
                // Keys of this row: the first n of the S stored (rows of k/v stay D apart).
                let n = keyLengths?[batch] ?? s
                let qp = qs.p + bh * t * d, kp = ks.p + kvh * s * d, vp = vs.p + kvh * s * dv
                Gemm.run(false, true, m: t, n: n, k: d, qp, lda: d, kp, ldb: d, scores, ldc: n)
                for i in 0..<t {
                    let row = scores + i * n
                    let visible = causal ? Swift.min(n, n - t + i + 1) : n
                    for j in 0..<visible { row[j] *= scale }
                    let m = T.maximum(row, count: visible)
                    T.exponentials(row, minus: m, into: row, count: visible)
                    let sum = T(T.sumInFloat64(row, count: visible))
                    let inv = sum > 0 ? 1 / sum : 0
                    for j in 0..<visible { row[j] *= inv }
                    for j in visible..<n { row[j] = 0 }
                }
                Gemm.run(false, false, m: t, n: dv, k: n, scores, lda: n, vp, ldb: dv, os.p + bh * t * dv, ldc: dv)
            }
        }
    }

    func forward(_ inputs: [Node], output: Node) -> Buffer {
        let out = output.allocate()
        let q = inputs[0], k = inputs[1], v = inputs[2]
        let (b, hq, t, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (hkv, s, dv) = (k.shape[1], k.shape[2], v.shape[3])
        dispatchFloat(q.dtype, name, {
            // Keys and values are float32, or float16 (a KV cache) under float32 queries.
            let half = k.dtype == .float16
            if t == 1 {
                // Decoding: a float16 cache is widened as it is read.
                func singleQuery<E: QuantizationScale>(_: E.Type) {
                    Attention.runSingleQuery(q.pointer(Float.self), k.pointer(E.self), v.pointer(E.self),
                                             out.pointer(Float.self), b: b, hq: hq, hkv: hkv, s: s, d: d, dv: dv,
                                             scale: Float(scale), keyLengths: keyLengths)
                }
                if half { singleQuery(Float16.self) } else { singleQuery(Float.self) }
                return
            }
            // Several queries: GEMMs on float32 keys and values (a float16 cache's copied first).
            let kf = half ? Self.widened(k) : k.pointer(Float.self), vf = half ? Self.widened(v) : v.pointer(Float.self)
            defer { if half { kf.deallocate(); vf.deallocate() } }
            Attention.run(q.pointer(Float.self), kf, vf, out.pointer(Float.self), b: b, hq: hq, hkv: hkv, t: t, s: s,
                          d: d, dv: dv, scale: Float(scale), causal: causal, keyLengths: keyLengths)
        }, {
            Attention.run(q.pointer(Double.self), k.pointer(Double.self), v.pointer(Double.self), out.pointer(Double.self),
                          b: b, hq: hq, hkv: hkv, t: t, s: s, d: d, dv: dv, scale: scale, causal: causal,
                          keyLengths: keyLengths)
        })
        return out
    }

    /// A float32 copy of a float16 node's values (the caller deallocates it).
    static func widened(_ x: Node) -> UnsafeMutablePointer<Float> {
        let target = UnsafeMutablePointer<Float>.allocate(capacity: x.count)
        AsType.convert(x.pointer(Float16.self), target, x.count) { Float($0) }
        return target
    }

    /// The same computation from primitives (used to differentiate).
    static func composite(_ q: Tensor, _ k: Tensor, _ v: Tensor, scale: Double, causal: Bool, keyLengths: [Int]?) -> Tensor {
        let (b, hq, t, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (hkv, s, dv) = (k.shape[1], k.shape[2], v.shape[3])
        let q5 = q.reshaped([b, hkv, hq / hkv, t, d])
        let k5 = k.reshaped([b, hkv, 1, s, d]), v5 = v.reshaped([b, hkv, 1, s, dv])
        var scores = Tensor.matmul(q5, k5, transposeB: true) * scale
        if let keyLengths {
            scores = Tensor.where(visibilityMask(keyLengths, t: t, s: s, causal: causal), scores,
                                  Tensor.full([], -.infinity, dtype: q.dtype))
        } else if causal {
            let rows = (Tensor.arange(Double(s - t), Double(s))).reshaped([t, 1])
            let cols = Tensor.arange(0, Double(s)).reshaped([1, s])
            scores = Tensor.where(cols .<= rows, scores, Tensor.full([], -.infinity, dtype: q.dtype))
        }
        return Tensor.matmul(scores.softmax(axis: -1), v5).reshaped([b, hq, t, dv])
    }

    /// `[B, 1, 1, T, S]` booleans: key j is visible to query i of row b.
    static func visibilityMask(_ keyLengths: [Int], t: Int, s: Int, causal: Bool) -> Tensor {
        var mask = [Bool](repeating: false, count: keyLengths.count * t * s)
        for (batch, n) in keyLengths.enumerated() {
            for i in 0..<t {
                let visible = causal ? Swift.min(n, n - t + i + 1) : n
                for j in 0..<visible { mask[(batch * t + i) * s + j] = true }
            }
        }
        return Tensor(mask, shape: [keyLengths.count, 1, 1, t, s])
    }

    func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor, needs: [Bool]) -> [Tensor?] {
        let o = Attention.composite(inputs[0], inputs[1], inputs[2], scale: scale, causal: causal, keyLengths: keyLengths)
        let grads = Backprop.gradients(of: o, wrt: inputs, cotangent: g)
        return zip(grads, needs).map { $1 ? $0 : nil }
    }
}

extension Tensor {
    /// Scaled-dot-product attention (see `Attention`); `scale` defaults to 1/√D.
    ///
    /// `keyLengths`, when given, holds one count per batch row: row b attends to its first
    /// `keyLengths[b]` keys only (each in `1...S`, and `≥ T` when causal), so k and v may be
    /// preallocated storage longer than the keys written so far. `k` and `v` may be float16
    /// under a float32 `q` (a float16 KV cache; not differentiable).
    public static func attention(q: Tensor, k: Tensor, v: Tensor, scale: Double? = nil, causal: Bool = true,
                                 keyLengths: [Int]? = nil) -> Tensor {
        // float16 keys and values (a float16 KV cache) go with float32 queries (not differentiable).
        let halfCache = q.dtype == .float32 && k.dtype == .float16
        let ok = q.ndim == 4 && k.ndim == 4 && v.ndim == 4 && (q.dtype == k.dtype || halfCache) && k.dtype == v.dtype &&
            q.dtype.isFloatingCompute && q.shape[0] == k.shape[0] && k.shape[0] == v.shape[0] &&
            q.shape[3] == k.shape[3] && k.shape[1] == v.shape[1] && k.shape[2] == v.shape[2] &&
            k.shape[1] > 0 && q.shape[1] % k.shape[1] == 0 && (!causal || q.shape[2] <= k.shape[2])
        guard ok else {
            return failed(GraftError("attention", "q \(q.shape) \(q.dtype), k \(k.shape) \(k.dtype), v \(v.shape) \(v.dtype) do not fit [B,Hq,T,D], [B,Hkv,S,D], [B,Hkv,S,Dv] with Hq % Hkv == 0, T ≤ S and one dtype (or float16 k and v under float32 q)"))
        }
        if let keyLengths {
            let lowest = causal ? Swift.max(1, q.shape[2]) : 1
            guard keyLengths.count == q.shape[0], keyLengths.allSatisfy({ $0 >= lowest && $0 <= k.shape[2] }) else {
                return failed(GraftError("attention", "key lengths \(keyLengths) must hold one count in \(lowest)...\(k.shape[2]) per batch row (\(q.shape[0]) rows, T = \(q.shape[2]))"))
            }
        }
        let s = scale ?? 1 / Double(q.shape[3]).squareRoot()
        return make(Attention(scale: s, causal: causal, keyLengths: keyLengths), [q, k, v],
                    shape: [q.shape[0], q.shape[1], q.shape[2], v.shape[3]], dtype: q.dtype)
    }
}
