import CHDF5

/// What a link in a group points to.
public enum HDF5ObjectKind: Sendable, Equatable {
    case group, dataset, other
}

/// Common base of ``HDF5Group`` and ``HDF5Dataset``: an open object in a file, identified by
/// its absolute path, that can carry attributes (see `HDF5Object+Attributes`).
public class HDF5Object: @unchecked Sendable {
    /// The file the object belongs to (kept alive while the object is).
    public let file: HDF5File
    /// Absolute path of the object inside the file, e.g. `/model/layers.0`.
    public let path: String
    let handle: HDF5Handle

    init(file: HDF5File, path: String, handle: HDF5Handle) {
        self.file = file
        self.path = path
        self.handle = handle
    }

    /// Closes the object now instead of waiting for `deinit`.
    public func close() {
        HDF5Library.serialized { _ = handle.close() }
    }

    /// The identifier, after checking that both the object and its file are still open.
    /// Called with the lock held.
    func liveID(_ operation: String) throws -> hid_t {
        try file.requireOpen(operation, objectPath: path)
        guard handle.id >= 0 else {
            throw HDF5Error(file: file.path, objectPath: path, operation: operation, reason: "object is closed")
        }
        return handle.id
    }

    /// An error for `operation` on `objectPath` (default: this object) from HDF5's stack.
    func stackError(_ operation: String, at objectPath: String? = nil) -> HDF5Error {
        HDF5Error.fromStack(file: file.path, objectPath: objectPath ?? path, operation: operation)
    }

    /// An error for `operation` with a Graft-side reason.
    func plainError(_ operation: String, at objectPath: String? = nil, _ reason: String) -> HDF5Error {
        HDF5Error(file: file.path, objectPath: objectPath ?? path, operation: operation, reason: reason)
    }

    /// Absolute path of `name` relative to this object.
    func absolutePath(of name: String) -> String {
        if name.hasPrefix("/") { return name }
        if name == "." { return path }
        return path == "/" ? "/" + name : path + "/" + name
    }

    /// Splits a relative path into components, rejecting empty ones ("a//b", "", "/").
    func components(of name: String, operation: String) throws -> [String] {
        let trimmed = name.hasPrefix("/") ? String(name.dropFirst()) : name
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !trimmed.isEmpty, !parts.contains(where: \.isEmpty) else {
            throw plainError(operation, at: absolutePath(of: name), "invalid object path '\(name)'")
        }
        return parts
    }
}
