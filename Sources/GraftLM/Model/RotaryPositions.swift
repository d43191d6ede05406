import Foundation
import Graft

/// RoPE for a batch whose rows start at different positions (ragged sequences decoding
/// together): row b's token t sits at position `starts[b] + t`. `Tensor.rope` takes one offset
/// for the whole tensor; this applies the same rotation from per-row angle tables, as
/// `x ⊙ cos + partner(x) ⊙ sin`, where `partner` swaps the two members of every rotated pair
/// and the sine table carries the sign (−sin on the first member, +sin on the second).
struct RotaryPositions {
    /// `[B, 1, T, D]` cosines (1 past the rotated dimensions).
    let cosines: Tensor
    /// `[B, 1, T, D]` signed sines (0 past the rotated dimensions).
    let sines: Tensor
    /// For every dimension, the other member of its pair (itself past the rotated dimensions).
    let partner: Tensor

    /// Tables for rows starting at `starts`, `count` tokens each, heads of `headDimension`
    /// values whose first `dims` rotate with `inverseFrequencies` (one per pair).
    init(starts: [Int], count: Int, headDimension: Int, dims: Int, convention: RoPEConvention,
         inverseFrequencies: [Double]) {
        let half = dims / 2
        // Pair i is (first(i), second(i)) in the head's dimensions.
        let (stride, gap) = convention.traditional ? (2, 1) : (1, half)
        var partnerIndex = (0..<headDimension).map(Int32.init)
        for i in 0..<half {
            let first = i * stride, second = first + gap
            partnerIndex[first] = Int32(second)
            partnerIndex[second] = Int32(first)
        }
        let rowSize = count * headDimension
        var cosTable = [Float](repeating: 1, count: starts.count * rowSize)
        var sinTable = [Float](repeating: 0, count: starts.count * rowSize)
        for (row, start) in starts.enumerated() {
            for t in 0..<count {
                let base = row * rowSize + t * headDimension
                let position = Double(start + t)
                for i in 0..<half {
                    let angle = position * inverseFrequencies[i]
                    let c = Float(Foundation.cos(angle)), s = Float(Foundation.sin(angle))
                    let first = base + i * stride, second = first + gap
                    cosTable[first] = c
                    cosTable[second] = c
                    sinTable[first] = -s
                    sinTable[second] = s
                }
            }
        }
        cosines = Tensor(cosTable, shape: [starts.count, 1, count, headDimension])
        sines = Tensor(sinTable, shape: [starts.count, 1, count, headDimension])
        partner = Tensor(partnerIndex)
    }

    /// Rotates `x [B, H, T, D]`.
    func apply(_ x: Tensor) -> Tensor {
        x * cosines + x.take(partner, axis: 3) * sines
    }
}
