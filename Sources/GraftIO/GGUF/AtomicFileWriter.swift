#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file atomically: the content goes to a temporary file in the same directory, which
/// is fsynced and then renamed over the destination (and the directory fsynced), so readers see
/// either the old file or the complete new one. Errors are `GGUFError.writeFailed`.
struct AtomicFileWriter {
    let path: String
    private let temporaryPath: String
    private var fd: Int32

    init(path: String) throws {
        self.path = path
        let (directory, base) = Self.split(path)
        temporaryPath = "\(directory)/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw Self.failure(path, "cannot create temporary file \(temporaryPath)") }
    }

    /// Appends `bytes` to the temporary file.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let written = write(fd, next, left)
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.failure(path, "write failed")
            }
            left -= written
            next += written
        }
    }

    /// Appends `count` zero bytes.
    func appendZeros(_ count: Int) throws {
        guard count > 0 else { return }
        try [UInt8](repeating: 0, count: count).withUnsafeBytes { try append($0) }
    }

    /// Flushes to disk and renames the temporary file to `path`.
    mutating func commit() throws {
        guard fsync(fd) == 0 else { throw Self.failure(path, "fsync failed") }
        guard close(fd) == 0 else { fd = -1; throw Self.failure(path, "close failed") }
        fd = -1
        guard rename(temporaryPath, path) == 0 else { throw Self.failure(path, "rename from \(temporaryPath) failed") }
        let directoryFD = open(Self.split(path).directory, O_RDONLY | O_DIRECTORY)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Closes and deletes the temporary file (after a failure).
    mutating func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporaryPath)
    }

    private static func split(_ path: String) -> (directory: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    private static func failure(_ path: String, _ what: String) -> GGUFError {
        .writeFailed(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
    }
}
