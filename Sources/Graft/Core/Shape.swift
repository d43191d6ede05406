/// Shape arithmetic shared by the primitives.
public enum Shapes {
    /// Number of elements of a shape (1 for a scalar).
    @inlinable public static func count(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape { n *= d }
        return n
    }

    /// Row-major (C order) strides in elements.
    @inlinable public static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }

    /// NumPy broadcasting of two shapes, or nil when they are incompatible.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let n = max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Strides that read `shape` as if broadcast to `target` (0 on broadcast axes).
    public static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(shape)
        var out = [Int](repeating: 0, count: target.count)
        let shift = target.count - shape.count
        for i in 0..<shape.count where shape[i] != 1 || target[i + shift] == 1 {
            out[i + shift] = shape[i] == 1 ? 0 : own[i]
        }
        return out
    }

    /// Normalises a possibly negative axis; nil when out of range.
    public static func axis(_ axis: Int, rank: Int) -> Int? {
        let a = axis < 0 ? axis + rank : axis
        return (a >= 0 && a < rank) ? a : nil
    }
}

/// A shape split around one axis: `outer × axisSize × inner` elements, row-major.
struct AxisLayout {
    let outer: Int
    let axisSize: Int
    let inner: Int

    init(shape: [Int], axis: Int) {
        var o = 1
        var i = 1
        for d in 0..<axis { o *= shape[d] }
        for d in (axis + 1)..<shape.count { i *= shape[d] }
        outer = o
        axisSize = shape[axis]
        inner = i
    }
}
