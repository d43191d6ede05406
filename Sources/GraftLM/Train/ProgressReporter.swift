import Foundation

/// Prints a run's progress: on a terminal, a bar with ETA redrawn in place between report
/// lines; otherwise (logs, CI) report lines only.
public final class ProgressReporter {
    public let totalSteps: Int
    public let interactive: Bool
    private let write: (String) -> Void
    private var started = Date()
    private var startStep = 0
    private var barShown = false

    /// `write` receives text to print (default: standard output, flushed).
    public init(totalSteps: Int, interactive: Bool = isatty(STDOUT_FILENO) != 0,
                write: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }) {
        self.totalSteps = totalSteps
        self.interactive = interactive
        self.write = write
    }

    /// Marks where timing starts (the first step of this process, also after a resume).
    public func start(at step: Int) {
        started = Date()
        startStep = step
    }

    /// Seconds left at the current pace, or nil before the first step.
    public func eta(at step: Int, now: Date = Date()) -> Double? {
        let done = step - startStep
        guard done > 0 else { return nil }
        return now.timeIntervalSince(started) / Double(done) * Double(totalSteps - step)
    }

    /// Redraws the bar (terminal only).
    public func update(step: Int, loss: Double?) {
        guard interactive else { return }
        let width = 30
        let filled = totalSteps > 0 ? min(width, width * step / totalSteps) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let lossText = loss.map { String(format: " loss %.3f", $0) } ?? ""
        let etaText = eta(at: step).map { " ETA " + Self.duration($0) } ?? ""
        write("\r\u{1B}[2K[\(bar)] \(step)/\(totalSteps)\(lossText)\(etaText)")
        barShown = true
    }

    /// Prints a line (clearing the bar first on a terminal).
    public func line(_ text: String) {
        if barShown { write("\r\u{1B}[2K") }
        barShown = false
        write(text + "\n")
    }

    /// The line for a metrics record.
    public static func format(_ r: MetricsRecord, totalSteps: Int, eta: Double?) -> String {
        switch r.kind {
        case .validation: return String(format: "step %d/%d  validation loss %.4f", r.step, totalSteps, r.loss)
        case .test: return String(format: "test loss %.4f", r.loss)
        case .train:
            var s = String(format: "step %d/%d  loss %.4f", r.step, totalSteps, r.loss)
            if let lr = r.learningRate { s += String(format: "  lr %.2e", lr) }
            if let it = r.iterationsPerSecond { s += String(format: "  %.2f it/s", it) }
            if let tok = r.tokensPerSecond { s += String(format: "  %.0f tok/s", tok) }
            if let n = r.trainedTokens { s += "  trained tokens \(n)" }
            if let m = r.peakMemoryBytes { s += String(format: "  peak %.2f GB", Double(m) / 1e9) }
            if let e = eta { s += "  ETA " + duration(e) }
            return s
        }
    }

    /// `1h02m`, `3m05s`, `42s`.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}
