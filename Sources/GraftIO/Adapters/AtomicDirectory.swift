import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates a folder so that its final path only ever holds a complete result: the content is
/// built in a hidden sibling folder (`.<name>.tmp-<pid>-<random>`), which is renamed into
/// place once complete. A failure removes the temporary folder and leaves any previous folder.
public enum AtomicDirectory {
    /// Builds the folder at `url` by calling `build` with an empty temporary folder next to it.
    /// - Parameter replacing: when false, an existing `url` is an error; when true it is replaced
    ///   (moved aside, the new folder renamed in, then the old one deleted).
    /// - Throws: ``AdapterError`` when `url` exists and `replacing` is false, or a step fails;
    ///   whatever `build` throws.
    public static func write(to url: URL, replacing: Bool = false, _ build: (URL) throws -> Void) throws {
        let destination = url.standardizedFileURL
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path) && !replacing {
            throw AdapterError(file: destination.path, problem: "already exists; choose another output path or pass --force to replace it")
        }
        let parent = destination.deletingLastPathComponent()
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw AdapterError(file: parent.path, problem: "cannot create the parent folder: \(error.localizedDescription)")
        }
        let suffix = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let temporary = parent.appendingPathComponent(".\(destination.lastPathComponent).tmp-\(suffix)")
        do {
            try fm.createDirectory(at: temporary, withIntermediateDirectories: false)
            try build(temporary)
            var aside: URL?
            if fm.fileExists(atPath: destination.path) {
                let old = parent.appendingPathComponent(".\(destination.lastPathComponent).old-\(suffix)")
                guard rename(destination.path, old.path) == 0 else {
                    throw AdapterError(file: destination.path, problem: "cannot move the existing folder aside: \(String(cString: strerror(errno)))")
                }
                aside = old
            }
            guard rename(temporary.path, destination.path) == 0 else {
                let reason = String(cString: strerror(errno))
                if let aside { _ = rename(aside.path, destination.path) }
                throw AdapterError(file: destination.path, problem: "cannot rename the finished folder into place: \(reason)")
            }
            if let aside { try? fm.removeItem(at: aside) }
            let descriptor = open(parent.path, O_RDONLY | O_DIRECTORY)
            if descriptor >= 0 { fsync(descriptor); close(descriptor) }
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
    }
}
