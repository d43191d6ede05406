import Foundation

/// The process's memory as the kernel reports it (`/proc/self/status`).
public enum ProcessMemory {
    /// Peak resident set size (VmHWM) in bytes, or nil where /proc is unavailable.
    public static func peakResidentBytes() -> Int? { field("VmHWM:") }
    /// Current resident set size (VmRSS) in bytes.
    public static func residentBytes() -> Int? { field("VmRSS:") }

    static func field(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let kb = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
            return kb.map { $0 * 1024 }
        }
        return nil
    }
}
