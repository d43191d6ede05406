import Foundation

/// Draws training and validation loss against step as a self-contained SVG.
public enum LossCurve {
    /// The SVG document for `metrics` (`width`×`height` pixels).
    public static func svg(_ metrics: TrainingMetrics, width: Double = 720, height: Double = 400) -> String {
        let train = metrics.records.filter { $0.kind == .train }.map { ($0.step, $0.loss) }
        let valid = metrics.records.filter { $0.kind == .validation }.map { ($0.step, $0.loss) }
        let all = train + valid
        let (left, right, top, bottom) = (64.0, 16.0, 24.0, 44.0)
        let maxStep = Double(max(1, all.map(\.0).max() ?? 1))
        let finite = all.map(\.1).filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if hi - lo < 1e-9 { lo -= 0.5; hi += 0.5 }
        let plotW = width - left - right, plotH = height - top - bottom
        func x(_ s: Int) -> Double { left + Double(s) / maxStep * plotW }
        func y(_ l: Double) -> Double { top + (hi - l) / (hi - lo) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func polyline(_ pts: [(Int, Double)], _ color: String, dots: Bool) -> String {
            let finitePts = pts.filter { $0.1.isFinite }
            guard !finitePts.isEmpty else { return "" }
            var s = "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\""
            s += finitePts.map { "\(f(x($0.0))),\(f(y($0.1)))" }.joined(separator: " ") + "\"/>\n"
            if dots { s += finitePts.map { "<circle cx=\"\(f(x($0.0)))\" cy=\"\(f(y($0.1)))\" r=\"3\" fill=\"\(color)\"/>\n" }.joined() }
            return s
        }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
        out += "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(left + plotW))\" y2=\"\(f(top + plotH))\" stroke=\"#444\"/>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotH))\" stroke=\"#444\"/>\n"
        for i in 0...4 {
            let l = lo + (hi - lo) * Double(i) / 4
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(y(l) + 4))\" text-anchor=\"end\">\(String(format: "%.3g", l))</text>\n"
            let s = Int(maxStep * Double(i) / 4)
            out += "<text x=\"\(f(x(s)))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(s)</text>\n"
        }
        out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\">step</text>\n"
        out += "<text x=\"14\" y=\"\(f(top + plotH / 2))\" transform=\"rotate(-90 14 \(f(top + plotH / 2)))\" text-anchor=\"middle\">loss</text>\n"
        out += polyline(train, "#1f77b4", dots: false)
        out += polyline(valid, "#d62728", dots: true)
        out += "<text x=\"\(f(left + plotW - 150))\" y=\"\(f(top + 4))\" fill=\"#1f77b4\">— train loss</text>\n"
        out += "<text x=\"\(f(left + plotW - 150))\" y=\"\(f(top + 20))\" fill=\"#d62728\">● validation loss</text>\n"
        return out + "</svg>\n"
    }
}
