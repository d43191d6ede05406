import CHDF5
import Foundation

/// Process-wide HDF5 set-up and the lock that serializes every call into the library.
///
/// **Thread safety.** Debian's `libhdf5_serial` is built without the thread-safe option:
/// two threads inside the library at once corrupt its internal state. Every Graft HDF5
/// API therefore runs its C calls inside ``HDF5Library/serialized(_:)``, a process-wide
/// recursive lock. Graft's HDF5 objects can thus be used from any thread, but calls never
/// run in parallel; do not call libhdf5 directly from other code without that lock.
public enum HDF5Library {
    /// The lock guarding libhdf5. Recursive so that wrappers may nest.
    private static let lock = NSRecursiveLock()

    /// Runs `body` with exclusive access to libhdf5, initializing the library first.
    public static func serialized<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        initializeIfNeeded()
        // Error printing is a per-thread setting in HDF5 (its error stacks are per thread).
        _ = H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
        return try body()
    }

    nonisolated(unsafe) private static var initialized = false

    /// `H5open` must run before any `H5T_NATIVE_*_g` global is read (they are -1 until
    /// then). Called with the lock held; ``serialized(_:)`` then turns HDF5's automatic error
    /// printing to stderr off for the calling thread: failures become ``HDF5Error`` values.
    private static func initializeIfNeeded() {
        guard !initialized else { return }
        _ = H5open()
        initialized = true
    }

    /// Collects the descriptions on HDF5's default error stack (innermost first) and
    /// clears it. Called with the lock held.
    static func takeErrorStackMessages() -> String {
        final class Collector { var lines: [String] = [] }
        let collector = Collector()
        let box = Unmanaged.passRetained(collector)
        defer { box.release() }
        _ = H5Ewalk2(hid_t(H5E_DEFAULT), H5E_WALK_UPWARD, { _, entry, client in
            guard let entry, let client else { return 0 }
            let collector = Unmanaged<Collector>.fromOpaque(client).takeUnretainedValue()
            let function = entry.pointee.func_name.map { String(cString: $0) } ?? "?"
            let message = entry.pointee.desc.map { String(cString: $0) } ?? ""
            collector.lines.append("\(function): \(message)")
            return 0
        }, box.toOpaque())
        _ = H5Eclear2(hid_t(H5E_DEFAULT))
        return collector.lines.prefix(3).joined(separator: "; ")
    }

    /// Runtime version of the linked libhdf5, e.g. "1.10.8".
    public static var version: String {
        serialized {
            var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
            _ = H5get_libversion(&major, &minor, &release)
            return "\(major).\(minor).\(release)"
        }
    }
}
