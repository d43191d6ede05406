import Foundation

/// Memory figures of the running process, from Linux's /proc/self/status.
public enum ProcessMemory {
    /// Peak resident set size (`VmHWM`) in bytes, or nil where /proc is unavailable.
    public static func peakResidentBytes() -> Int? { statusField("VmHWM:") }

    /// Current resident set size (`VmRSS`) in bytes, or nil where /proc is unavailable.
    public static func residentBytes() -> Int? { statusField("VmRSS:") }

    /// A `kB` line of /proc/self/status, in bytes.
    private static func statusField(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let fields = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let value = fields.first.flatMap({ Int($0) }) else { return nil }
            return fields.count > 1 && fields[1] == "kB" ? value * 1024 : value
        }
        return nil
    }
}
