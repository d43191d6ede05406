import CGraftKernels
import Foundation

/// Chains of float32 elementwise operations run as one pass over memory.
///
/// The scheduler groups an elementwise node with the elementwise inputs that only it consumes
/// (same shape, not requested as outputs). The group becomes a small program evaluated tile by
/// tile: each tile of `tileSize` elements flows through every instruction in cache, and only
/// the group's result is written to memory. A lone elementwise node is a program of one.
struct ElementwiseProgram {
    enum Operand {
        case input(Int)
        case scalar(Int)
        case register(Int)
    }

    enum Instruction {
        case unary(UnaryKind, Operand)
        case binary(BinaryKind, Operand, Operand)
    }

    var instructions: [Instruction] = []
    /// External inputs (evaluated nodes), referenced by `Operand.input` / `.scalar`.
    var inputs: [Node] = []
    /// Every node computed by the program (for the scheduler's release bookkeeping).
    var members: [Node] = []

    static let tileSize = 2048

    /// Outputs of at least this many bytes (the last-level cache, 32 MB when unknown) are written
    /// with streaming stores: they cannot stay in cache anyway, and streaming skips reading each
    /// output line into the cache before overwriting it (a third of the traffic of `silu(a) * b`).
    static let streamingBytes: Int = {
        let cache = sysconf(Int32(_SC_LEVEL3_CACHE_SIZE))
        return cache > 0 ? cache : 32 << 20
    }()

    /// Whether `node` can be part of a program: a float32 unary, or a float32 binary whose
    /// operands have the node's shape or a single element.
    static func accepts(_ node: Node) -> Bool {
        guard node.dtype == .float32, let p = node.primitive else { return false }
        if p is Unary { return true }
        guard p is Binary else { return false }
        return node.inputs.allSatisfy { $0.shape == node.shape || $0.count == 1 }
    }

    /// Builds the program rooted at `root`; `fusible(input)` tells which inputs join it.
    init(root: Node, fusible: (Node) -> Bool) {
        var registerOf: [ObjectIdentifier: Int] = [:]
        var inputOf: [ObjectIdentifier: Int] = [:]
        func operand(_ n: Node, of parent: Node) -> Operand {
            if n !== parent, fusible(n) {
                return .register(emit(n))
            }
            let id = ObjectIdentifier(n)
            let index = inputOf[id] ?? {
                inputs.append(n)
                inputOf[id] = inputs.count - 1
                return inputs.count - 1
            }()
            return n.count == 1 && parent.count != 1 ? .scalar(index) : .input(index)
        }
        func emit(_ n: Node) -> Int {
            if let r = registerOf[ObjectIdentifier(n)] { return r }
            let instruction: Instruction
            if let u = n.primitive as? Unary {
                instruction = .unary(u.kind, operand(n.inputs[0], of: n))
            } else {
                let b = n.primitive as! Binary
                let lhs = operand(n.inputs[0], of: n)
                instruction = .binary(b.kind, lhs, operand(n.inputs[1], of: n))
            }
            instructions.append(instruction)
            members.append(n)
            registerOf[ObjectIdentifier(n)] = instructions.count - 1
            return instructions.count - 1
        }
        _ = emit(root)
    }

    /// Runs the program over `count` elements into `output`.
    func run(count: Int, output: UnsafeMutablePointer<Float>) {
        let pointers = inputs.map { SendPtr($0.pointer(Float.self)) }
        let out = SendPtr(output)
        let tiles = (count + Self.tileSize - 1) / Self.tileSize
        let registers = instructions.count
        let streaming = count * MemoryLayout<Float>.stride >= Self.streamingBytes
        Parallel.forEach(tiles, costPerItem: Self.tileSize * registers * 2) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: registers * Self.tileSize)
            defer { scratch.deallocate() }
            for tile in range {
                let start = tile * Self.tileSize
                let n = Swift.min(Self.tileSize, count - start)
                for (k, instruction) in instructions.enumerated() {
                    let dst = k == registers - 1 && !streaming ? out.p + start : scratch + k * Self.tileSize
                    func resolve(_ o: Operand) -> (UnsafeMutablePointer<Float>, Bool) {
                        switch o {
                        case .input(let i): return (pointers[i].p + start, false)
                        case .scalar(let i): return (pointers[i].p, true)
                        case .register(let r): return (scratch + r * Self.tileSize, false)
                        }
                    }
                    switch instruction {
                    case .unary(let kind, let x):
                        let (src, isScalar) = resolve(x)
                        if isScalar { dst.update(repeating: src[0], count: n); ElementwiseKernels.unary(kind, dst, dst, n) }
                        else { ElementwiseKernels.unary(kind, src, dst, n) }
                    case .binary(let kind, let a, let b):
                        let (pa, sa) = resolve(a), (pb, sb) = resolve(b)
                        ElementwiseKernels.binary(kind, pa, sa, pb, sb, dst, n)
                    }
                }
                if streaming { graft_stream_floats(out.p + start, scratch + (registers - 1) * Self.tileSize, n) }
            }
            if streaming { graft_store_fence() }
        }
    }
}

/// Contiguous float32 loops, one per operation, written so LLVM vectorises them.
enum ElementwiseKernels {
    @inline(__always)
    static func unary(_ kind: UnaryKind, _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch kind {
        case .exp: for i in 0..<n { y[i] = VectorMath.exp(x[i]) }
        case .sigmoid: for i in 0..<n { y[i] = VectorMath.sigmoid(x[i]) }
        case .silu: for i in 0..<n { y[i] = VectorMath.silu(x[i]) }
        case .neg: for i in 0..<n { y[i] = -x[i] }
        case .sqrt: graft_sqrt_floats(x, y, n)
        case .rsqrt: graft_rsqrt_floats(x, y, n)
        case .abs: for i in 0..<n { y[i] = Swift.abs(x[i]) }
        case .square: for i in 0..<n { y[i] = x[i] * x[i] }
        case .log: for i in 0..<n { y[i] = Foundation.logf(x[i]) }
        case .tanh: for i in 0..<n { y[i] = Foundation.tanhf(x[i]) }
        }
    }

    @inline(__always)
    static func binary(_ kind: BinaryKind, _ a: UnsafeMutablePointer<Float>, _ aScalar: Bool,
                       _ b: UnsafeMutablePointer<Float>, _ bScalar: Bool, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        @inline(__always) func go(_ f: (Float, Float) -> Float) {
            switch (aScalar, bScalar) {
            case (false, false): for i in 0..<n { y[i] = f(a[i], b[i]) }
            case (false, true): let s = b[0]; for i in 0..<n { y[i] = f(a[i], s) }
            case (true, false): let s = a[0]; for i in 0..<n { y[i] = f(s, b[i]) }
            case (true, true): let v = f(a[0], b[0]); y.update(repeating: v, count: n)
            }
        }
        switch kind {
        case .add: go(+)
        case .sub: go(-)
        case .mul: go(*)
        case .div: go(/)
        case .pow: go(Foundation.powf)
        case .maximum: go { $0 >= $1 || $0.isNaN ? $0 : $1 }
        case .minimum: go { $0 <= $1 || $0.isNaN ? $0 : $1 }
        }
    }
}
