import CBLAS
import Foundation
import Graft
import GraftNN
import GraftOptim

// Benchmarks for the tensor core. Each prints one JSON line per measurement; scripts/bench.sh
// runs them next to the reference tools and writes BENCHMARKS.md.
//   GraftBench matmul | elementwise | mlp [--steps N] | quantized
//            | decode-step [--rows M] [--rank R] [--per-shape] [--huge-pages] [--int8] [--packed]
//            | attention [--positions N] | checkpoint FILE

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Best time of `repeats` runs (after one warm-up).
func best(_ repeats: Int, _ body: () -> Void) -> Double {
    body()
    return (0..<repeats).map { _ in seconds(body) }.min()!
}

func emit(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(data: data, encoding: .utf8)!)
}

func benchMatmul() {
    let n = 1024
    let a = Tensor.uniform([n, n], key: RandomKey(seed: 1)), b = Tensor.uniform([n, n], key: RandomKey(seed: 2))
    eval(a, b)
    let graph = best(10) { eval(Tensor.matmul(a, b)) }
    let pa = a.toArray(), pb = b.toArray()
    var c = [Float](repeating: 0, count: n * n)
    let direct = best(10) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, pa, Int32(n), pb, Int32(n), 0, &c, Int32(n))
    }
    let flops = 2.0 * Double(n * n * n)
    emit(["bench": "matmul_1024", "graft_s": graph, "cblas_s": direct, "graft_gflops": flops / graph / 1e9,
          "cblas_gflops": flops / direct / 1e9, "ratio": direct / graph])
}

func benchElementwise() {
    let n = 16 << 20
    let a = Tensor.normal([n], key: RandomKey(seed: 3)), b = Tensor.normal([n], key: RandomKey(seed: 4))
    eval(a, b)
    let graph = best(10) { eval(a.silu() * b) }
    if ProcessInfo.processInfo.environment["BENCH_DETAIL"] != nil {
        emit(["silu_s": best(10) { eval(a.silu()) }, "mul_s": best(10) { eval(a * b) }, "exp_s": best(10) { eval(a.exp()) }])
    }
    let src = UnsafeMutableRawPointer.allocate(byteCount: n * 4, alignment: 64)
    let dst = UnsafeMutableRawPointer.allocate(byteCount: n * 4, alignment: 64)
    src.initializeMemory(as: UInt8.self, repeating: 1, count: n * 4)
    dst.initializeMemory(as: UInt8.self, repeating: 0, count: n * 4)
    let copy = best(10) { dst.copyMemory(from: src, byteCount: n * 4) }
    // Throughput of the chain counted as its 16M outputs; the copy moves the same bytes.
    emit(["bench": "silu_mul_16M", "graft_s": graph, "copy_s": copy, "graft_gbps": Double(n * 4) / graph / 1e9,
          "copy_gbps": Double(n * 4) / copy / 1e9, "ratio": copy / graph])
}

func benchMLP(steps: Int) {
    let (batch, inputs, hidden, classes) = (512, 512, 1024, 10)
    let keys = RandomKey(seed: 5).split(into: 5)
    let x = Tensor.normal([batch, inputs], key: keys[0])
    let y = (Tensor.uniform([batch], key: keys[1]) * Double(classes)).astype(.int32)
    var params = ParameterTree.dict([
        "l1": Linear.parameters(inputs: inputs, outputs: hidden, key: keys[2]),
        "l2": Linear.parameters(inputs: hidden, outputs: hidden, key: keys[3]),
        "l3": Linear.parameters(inputs: hidden, outputs: classes, key: keys[4]),
    ])
    eval([x, y] + params.tensors)
    let optimizer = AdamW(learningRate: 1e-3)
    func step() {
        let (loss, grads) = valueAndGrad(params) { p in
            var h = Linear.apply(p.subtree("l1")!, x).silu()
            h = Linear.apply(p.subtree("l2")!, h).silu()
            return Tensor.crossEntropy(logits: Linear.apply(p.subtree("l3")!, h), targets: y)
        }
        params = optimizer.update(params, gradients: grads)
        eval([loss] + params.tensors + Array(optimizer.state.values))
    }
    for _ in 0..<5 { step() }
    let t = seconds { for _ in 0..<steps { step() } }
    emit(["bench": "mlp_step", "shape": "\(batch)x\(inputs)-\(hidden)-\(hidden)-\(classes)", "graft_ms": t / Double(steps) * 1000,
          "threads": Parallel.threads])
}

/// Decode-shaped products (one row) on packed weights: seconds per call and weight bytes read/s.
func benchQuantized() {
    for (rows, cols, bits) in [(1536, 576, 4), (576, 1536, 4), (49152, 576, 8)] {
        let words = rows * cols * bits / 32, groups = rows * cols / 32
        let w = try! QuantizedWeight(packed: Tensor((0..<words).map { UInt32(truncatingIfNeeded: $0 &* 2654435761) }, shape: [rows, cols * bits / 32]),
                                     scales: Tensor.full([rows, cols / 32], 0.01), biases: Tensor.full([rows, cols / 32], -0.05),
                                     bits: bits, groupSize: 32)
        eval(w.packed, w.scales, w.biases)
        let x = Tensor.normal([1, cols], key: RandomKey(seed: 1))
        eval(x)
        let t = best(20) { eval(Tensor.quantizedMatmul(x, w)) }
        let bytes = Double(words * 4 + groups * 8)
        emit(["bench": "quantized_decode_\(rows)x\(cols)_q\(bits)", "seconds": t, "weight_gbps": bytes / t / 1e9])
    }
}

/// The products of one decoding step of SmolLM2-135M (30 layers of q, k, v, o, gate, up, down at
/// 4 bits, the 49152-row output head at 8 bits; float16 scales, groups of 32), far larger than
/// the caches, for `m` activation rows: milliseconds per step and CPU cycles per 32 weights;
/// with `rank`, each 4-bit product also adds a random LoRA term of that rank in its kernel.
/// With `activations: .int8`, the products round the activations to 8 bits (`--int8`); with
/// `--packed` they run on the packed weights' portable kernel instead of the interleaved copies.
/// With `hugePages`, the weights and then the terms are made in huge-page regions, as a model
/// and its kernel-fused adapter are when loaded (`Allocator.withHugePageRegion`).
func benchDecodeStep(rows: [Int], rank: Int?, perShape: Bool, hugePages: Bool, activations: ActivationPrecision) {
    func placed<T>(_ bytes: Int, _ body: () -> T) -> T { hugePages ? Allocator.withHugePageRegion(reserving: bytes, body) : body() }
    let shapes = [(576, 576), (192, 576), (192, 576), (576, 576), (1536, 576), (1536, 576), (576, 1536)]
    func weight(_ rows: Int, _ cols: Int, _ bits: Int, seed: Int) -> QuantizedWeight {
        let words = rows * cols * bits / 32
        let packed = Tensor((0..<words).map { UInt32(truncatingIfNeeded: ($0 &+ seed) &* 2654435761) }, shape: [rows, cols * bits / 32])
        let w = try! QuantizedWeight(packed: packed, scales: Tensor.full([rows, cols / 32], 0.01).astype(.float16),
                                     biases: Tensor.full([rows, cols / 32], -0.05).astype(.float16), bits: bits, groupSize: 32)
        eval(w.packed, w.scales, w.biases)
        return w
    }
    let (layers, head) = placed(1 << 30) {
        var layers: [QuantizedWeight] = []
        for layer in 0..<30 { for (i, (r, c)) in shapes.enumerated() { layers.append(weight(r, c, 4, seed: layer * 7 + i)) } }
        return (layers, weight(49152, 576, 8, seed: 999))
    }
    // With `rank`, every 4-bit product carries a LoRA term fused into its kernel (as `--adapter`).
    let terms = rank.map { r in placed(1 << 30) { layers.enumerated().map { k, w in
        try! LowRankTerm(a: Tensor.normal([r, w.cols], key: RandomKey(seed: UInt64(2 * k))) * 0.01,
                         b: Tensor.normal([w.rows, r], key: RandomKey(seed: UInt64(2 * k + 1))) * 0.01, scale: 2)
    } } } ?? []
    let fourBitWeights = layers.reduce(0) { $0 + $1.rows * $1.cols }, headWeights = 49152 * 576
    for m in rows {
        let inputs = [576, 1536].map { cols in Tensor.normal([m, cols], key: RandomKey(seed: UInt64(cols))) }
        eval(inputs)
        func step(_ ws: [QuantizedWeight], _ lowRank: [LowRankTerm]) {
            for (k, w) in ws.enumerated() {
                let x = w.cols == 576 ? inputs[0] : inputs[1]
                eval(lowRank.isEmpty ? Tensor.quantizedMatmul(x, w, activations: activations)
                     : Tensor.quantizedMatmul(x, w, lowRank: lowRank[k], activations: activations))
            }
        }
        if perShape {
            // Milliseconds per step spent in each of the seven shapes (all 30 layers of it).
            for (i, (r, c)) in shapes.enumerated() {
                let ws = stride(from: i, to: layers.count, by: shapes.count).map { layers[$0] }
                let ts = terms.isEmpty ? [] : stride(from: i, to: terms.count, by: shapes.count).map { terms[$0] }
                emit(["bench": "decode_step_shape", "shape": "\(r)x\(c)", "rows": m, "threads": Parallel.threads,
                      "ms": best(5) { step(ws, ts) } * 1000,
                      "cycles_per_32": best(5) { step(ws, ts) } * 3.7e9 * Double(Parallel.threads) / Double(30 * r * c / 32) / Double(m)])
            }
        }
        let body = best(5) { step(layers, terms) }, output = best(5) { step([head], []) }
        let ghz = 3.7  // nominal clock of this machine's cores, for a cycles-per-32-weights estimate
        emit(["bench": "decode_step_products", "rows": m, "adapter_rank": rank ?? 0, "threads": Parallel.threads, "four_bit_ms": body * 1000,
              "head_ms": output * 1000,
              "four_bit_cycles_per_32": body * ghz * 1e9 * Double(Parallel.threads) / Double(fourBitWeights / 32) / Double(m),
              "head_cycles_per_32": output * ghz * 1e9 * Double(Parallel.threads) / Double(headWeights / 32) / Double(m)])
    }
}

/// Attention of one decoding step of SmolLM2-135M (30 layers, 9 query heads on 3 KV heads of 64
/// values) over a cache of `positions` stored positions per sequence, for 1 and 8 sequences,
/// with float32 and float16 keys and values: milliseconds per step.
func benchAttention(positions: Int) {
    let (hq, hkv, d, capacity) = (9, 3, 64, positions + 64)
    for b in [1, 8] {
        for dtype in [DType.float32, .float16] {
            let q = Tensor.normal([b, hq, 1, d], key: RandomKey(seed: 1))
            let k = Tensor.normal([b, hkv, capacity, d], key: RandomKey(seed: 2)).astype(dtype)
            let v = Tensor.normal([b, hkv, capacity, d], key: RandomKey(seed: 3)).astype(dtype)
            eval(q, k, v)
            let lengths = Array(repeating: positions, count: b)
            let t = best(5) { for _ in 0..<30 { eval(Tensor.attention(q: q, k: k, v: v, causal: true, keyLengths: lengths)) } }
            emit(["bench": "decode_attention", "sequences": b, "positions": positions, "cache": dtype.rawValue,
                  "threads": Parallel.threads, "ms_per_step": t * 1000])
        }
    }
}

let args = CommandLine.arguments.dropFirst()
let steps = args.firstIndex(of: "--steps").flatMap { Int(args[args.index(after: $0)]) } ?? 50
switch args.first ?? "all" {
case "matmul": benchMatmul()
case "elementwise": benchElementwise()
case "mlp": benchMLP(steps: steps)
case "quantized": benchQuantized()
case "decode-step":
    func option(_ name: String) -> Int? { args.firstIndex(of: name).map { Int(args[args.index(after: $0)])! } }
    FewRowKernel.interleavedWhereAvailable = !args.contains("--packed")
    benchDecodeStep(rows: option("--rows").map { [$0] } ?? [1, 2, 4, 8], rank: option("--rank"),
                    perShape: args.contains("--per-shape"), hugePages: args.contains("--huge-pages"),
                    activations: args.contains("--int8") ? .int8 : .float32)
case "attention": benchAttention(positions: args.firstIndex(of: "--positions").flatMap { Int(args[args.index(after: $0)]) } ?? 640)
case "checkpoint": try! benchCheckpoint(String(args[args.index(after: args.startIndex)]))
default:
    benchMatmul()
    benchElementwise()
    benchMLP(steps: steps)
    benchQuantized()
}
