import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reports downloads on standard error: a redrawn progress bar on a terminal, plain lines
/// (start and end of each file) otherwise. Safe to call from any thread.
public final class DownloadProgress: @unchecked Sendable {
    private let terminal: Bool
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private var file = ""
    private var total: Int64 = 0
    private var start = Date()
    private var startBytes: Int64 = 0
    private var lastDraw = Date.distantPast

    /// A reporter writing to `write` (standard error by default); draws a bar when `terminal`
    /// (by default, when standard error is a terminal).
    public init(terminal: Bool = isatty(STDERR_FILENO) != 0,
                write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.terminal = terminal
        self.write = write
    }

    /// A reporter that says nothing.
    public static var silent: DownloadProgress { DownloadProgress(terminal: false, write: { _ in }) }

    /// A line of its own (ends any bar being drawn).
    public func message(_ text: String) {
        lock.withLock { write(text + "\n") }
    }

    /// A file starts downloading: `total` bytes, `resumedFrom` of them already on disk.
    public func begin(file: String, total: Int64, resumedFrom: Int64) {
        lock.withLock {
            self.file = file
            self.total = total
            start = Date()
            startBytes = resumedFrom
            lastDraw = .distantPast
            let resumed = resumedFrom > 0 ? ", resuming at \(Self.bytes(resumedFrom))" : ""
            if !terminal { write("downloading \(file) (\(Self.bytes(total))\(resumed))\n") }
        }
    }

    /// `received` bytes of the current file are on disk.
    public func update(received: Int64) {
        lock.withLock {
            guard terminal, Date().timeIntervalSince(lastDraw) >= 0.1 else { return }
            lastDraw = Date()
            draw(received)
        }
    }

    /// The current file is complete and verified.
    public func end() {
        lock.withLock {
            if terminal {
                draw(total)
                write("\n")
            } else {
                write("downloaded \(file)\n")
            }
        }
    }

    private func draw(_ received: Int64) {
        let fraction = total > 0 ? min(1, Double(received) / Double(total)) : 1
        let width = 30, filled = Int(fraction * Double(width))
        let elapsed = max(Date().timeIntervalSince(start), 1e-3)
        let speed = Double(received - startBytes) / elapsed
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let name = file.count > 40 ? "…" + file.suffix(39) : file
        write(String(format: "\r\u{1B}[K%@ %@ %3d%% %@/%@ %@/s", name, bar, Int(fraction * 100),
                     Self.bytes(received), Self.bytes(total), Self.bytes(Int64(speed))))
    }

    /// `bytes` in B, kB, MB or GB (powers of 1000).
    static func bytes(_ count: Int64) -> String {
        let value = Double(count)
        if value < 1000 { return "\(count) B" }
        if value < 1e6 { return String(format: "%.1f kB", value / 1e3) }
        if value < 1e9 { return String(format: "%.1f MB", value / 1e6) }
        return String(format: "%.2f GB", value / 1e9)
    }
}
