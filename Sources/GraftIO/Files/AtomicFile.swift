import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure while replacing a file atomically; names the file and the failing step.
public struct AtomicFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The final destination path.
    public let path: String
    /// The step that failed, e.g. "fsync temporary file" or "rename".
    public let step: String
    /// `strerror` text of the failing system call.
    public let reason: String

    public var description: String { "cannot write '\(path)' atomically: \(step) failed: \(reason)" }
}

/// Replaces a file so that readers (and the file after a crash) only ever see the old or
/// the new complete contents, never a partial write.
///
/// Protocol: the content is written to a temporary file in the same directory (so the
/// rename cannot cross file systems), the temporary file is `fsync`ed, `rename(2)`d over the
/// destination, and the directory is `fsync`ed so the rename itself is durable. If the
/// writer throws or any step fails, the temporary file is removed. A process killed
/// mid-write may leave a `.<name>.tmp-*` file behind (never the destination).
public enum AtomicFile {
    /// Calls `writer` with a temporary URL next to `url`; `writer` must create and fully
    /// write (and close) that file. Then makes it durable and moves it to `url`.
    public static func write<T>(to url: URL, _ writer: (URL) throws -> T) throws -> T {
        let destination = url.standardizedFileURL
        let directory = destination.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(temporaryName(for: destination.lastPathComponent))
        do {
            let result = try writer(temporary)
            try fsyncPath(temporary.path, destination: destination.path, step: "fsync temporary file")
            guard rename(temporary.path, destination.path) == 0 else {
                throw systemError(destination.path, "rename temporary file")
            }
            try fsyncPath(directory.path, destination: destination.path, step: "fsync directory", directory: true)
            return result
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    /// Writes `data` to `url` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { temporary in
            guard FileManager.default.createFile(atPath: temporary.path, contents: data) else {
                throw systemError(url.path, "write temporary file")
            }
        }
    }

    /// Deletes temporary files left next to `url` by writers that were killed mid-write:
    /// `.<name>.tmp-<pid>-*` whose process no longer exists. Files of live processes (which
    /// may still be writing) are kept. Returns the names removed.
    @discardableResult
    public static func removeStaleTemporaries(for url: URL) throws -> [String] {
        let destination = url.standardizedFileURL
        let prefix = ".\(destination.lastPathComponent).tmp-"
        let directory = destination.deletingLastPathComponent()
        var removed: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }) else { continue }
            guard kill(pid, 0) != 0, errno == ESRCH else { continue }
            if unlink(directory.appendingPathComponent(name).path) == 0 { removed.append(name) }
        }
        return removed.sorted()
    }

    /// `.<name>.tmp-<pid>-<random>`: hidden, unique per process and call.
    static func temporaryName(for name: String) -> String {
        ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Opens `path` read-only, `fsync`s it and closes it.
    private static func fsyncPath(_ path: String, destination: String, step: String, directory: Bool = false) throws {
        let flags = directory ? O_RDONLY | O_DIRECTORY : O_RDONLY
        let descriptor = open(path, flags)
        guard descriptor >= 0 else { throw systemError(destination, step) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw systemError(destination, step) }
    }

    private static func systemError(_ path: String, _ step: String) -> AtomicFileError {
        AtomicFileError(path: path, step: step, reason: String(cString: strerror(errno)))
    }
}
