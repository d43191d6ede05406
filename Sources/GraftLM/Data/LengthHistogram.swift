/// Counts of example lengths in equal-width bins with round edges (for `graft data inspect`).
public struct LengthHistogram: Sendable, Equatable {
    /// One bin: lengths `lower...upper` and how many fall in it.
    public struct Bin: Sendable, Equatable {
        /// Smallest length in the bin.
        public let lower: Int
        /// Largest length in the bin.
        public let upper: Int
        /// Number of lengths in the bin.
        public let count: Int

        /// A bin of `count` lengths in `lower...upper`.
        public init(lower: Int, upper: Int, count: Int) {
            self.lower = lower
            self.upper = upper
            self.count = count
        }
    }

    /// The bins, from short to long, covering the smallest to the largest length.
    public let bins: [Bin]

    /// Bins `lengths` into at most about `maxBins` bins whose width is 1, 2 or 5 times a power
    /// of ten. Empty input gives no bins.
    public init(lengths: [Int], maxBins: Int = 10) {
        precondition(maxBins > 0, "LengthHistogram: maxBins must be positive")
        guard let low = lengths.min(), let high = lengths.max() else {
            bins = []
            return
        }
        let span = high - low + 1
        var width = 1
        var magnitude = 1
        search: while true {
            for step in [1, 2, 5] {
                width = step * magnitude
                let first = (low / width) * width
                if (high - first) / width + 1 <= maxBins || width >= span { break search }
            }
            magnitude *= 10
        }
        let first = (low / width) * width
        var counts = [Int](repeating: 0, count: (high - first) / width + 1)
        for length in lengths { counts[(length - first) / width] += 1 }
        bins = counts.enumerated().map { offset, count in
            Bin(lower: first + offset * width, upper: first + (offset + 1) * width - 1, count: count)
        }
    }
}
