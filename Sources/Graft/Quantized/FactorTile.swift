/// Scales and biases of a tile of consecutive weight rows, converted to float32 once for
/// every activation row and every unit that uses them. The rows' factors are stored back to
/// back (`groups` apart) as in the weight; one flat conversion per tile leaves no per-row
/// remainder loop.
struct FactorTile {
    /// Weight rows per tile (4 to 8 decoded fastest: one row at a time 79, 8 rows 87, 64 rows 76 tok/s on one thread).
    static let rows = 8
    /// `[rows, groups]`.
    let scales: UnsafeMutablePointer<Float>
    /// `[rows, groups]` followed by 8 zeros, so a bias term may read 8 floats at a time past
    /// its row's end (it meets the zero padding of the group sums there).
    let biases: UnsafeMutablePointer<Float>
    let groups: Int

    init(groups: Int) {
        self.groups = groups
        scales = .allocate(capacity: Self.rows * groups)
        biases = .allocate(capacity: Self.rows * groups + 8)
        biases.initialize(repeating: 0, count: Self.rows * groups + 8)
    }

    func deallocate() { scales.deallocate(); biases.deallocate() }

    /// Converts the factors of weight rows `first..<first+count` (count ≤ `rows`).
    @inline(__always)
    func load<S: QuantizationScale>(_ o: QuantizedRowKernel.Operands<S>, first: Int, count: Int) {
        let n = count &* groups
        @inline(__always) func convert(_ source: UnsafeMutablePointer<S>, _ target: UnsafeMutablePointer<Float>) {
            var k = 0
            while k &+ 8 <= n {
                UnsafeMutableRawPointer(target + k).storeBytes(of: S.lanes(source, k), as: SIMD8<Float>.self)
                k &+= 8
            }
            while k < n { target[k] = source[k].float; k &+= 1 }
        }
        convert(o.scales.p + first &* groups, scales)
        convert(o.biases.p + first &* groups, biases)
        // The 8 floats after the last row's biases (earlier tiles may have left values there).
        (biases + n).update(repeating: 0, count: 8)
    }
}

/// The bias term `Σ_g bias[n, g]·Σ x_g` of one weight row against a block of activation rows,
/// as 8 lanes per activation row (a kernel starts its accumulators from them, so the term costs
/// no lane sum of its own and need not wait for the weights' products).
struct BiasTerms {
    /// The weight row's float32 biases (reads may run 8 past the row: see ``FactorTile``).
    let biases: UnsafeMutablePointer<Float>
    /// The first activation row's group sums, `padded` apart, zero after the last group.
    let sums: UnsafeMutablePointer<Float>
    let padded: Int

    /// Activation row `k` of the block.
    @inline(__always) func lanes(_ k: Int) -> SIMD8<Float> {
        var lanes = SIMD8<Float>(repeating: 0), g = 0
        let rowSums = UnsafeRawPointer(sums + k &* padded), b = UnsafeRawPointer(biases)
        while g < padded {
            lanes.addProduct(b.loadUnaligned(fromByteOffset: g &* 4, as: SIMD8<Float>.self),
                             rowSums.loadUnaligned(fromByteOffset: g &* 4, as: SIMD8<Float>.self))
            g &+= 8
        }
        return lanes
    }
}
