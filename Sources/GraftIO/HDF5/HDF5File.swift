import CHDF5
import Foundation

/// An open HDF5 file. Closing happens in ``close()`` or when the last reference (including
/// groups and datasets opened from it) goes away.
///
/// The file is opened with the *strong* close degree: ``close()`` also closes every group,
/// dataset and attribute still open in it, so the file is really released on disk.
/// All calls are serialized through ``HDF5Library/serialized(_:)`` (libhdf5 is not
/// thread-safe), which is why the type may be shared across threads.
public final class HDF5File: @unchecked Sendable {
    /// How ``create(at:mode:)`` treats an existing file.
    public enum CreateMode: Sendable {
        /// Replace an existing file.
        case truncate
        /// Fail if the file exists.
        case exclusive
    }

    /// How ``open(_:mode:)`` opens an existing file.
    public enum AccessMode: Sendable {
        /// Reading only.
        case readOnly
        /// Reading and writing.
        case readWrite
    }

    /// Path of the file on disk, as given when it was opened.
    public let path: String
    let handle: HDF5Handle

    private init(path: String, id: hid_t) {
        self.path = path
        self.handle = HDF5Handle(id, closer: H5Fclose)
    }

    /// Creates a new HDF5 file at `url`.
    public static func create(at url: URL, mode: CreateMode = .truncate) throws -> HDF5File {
        let path = url.path
        return try HDF5Library.serialized {
            let flags: UInt32 = mode == .truncate ? 0x0002 : 0x0004  // H5F_ACC_TRUNC / H5F_ACC_EXCL
            let id = try withFileAccessList(path: path, operation: "create file") { fapl in
                H5Fcreate(path, flags, hid_t(H5P_DEFAULT), fapl)
            }
            return HDF5File(path: path, id: id)
        }
    }

    /// Opens an existing HDF5 file at `url`.
    public static func open(_ url: URL, mode: AccessMode = .readOnly) throws -> HDF5File {
        let path = url.path
        return try HDF5Library.serialized {
            guard FileManager.default.fileExists(atPath: path) else {
                throw HDF5Error(file: path, objectPath: "", operation: "open file", reason: "no such file")
            }
            let flags: UInt32 = mode == .readOnly ? 0x0000 : 0x0001  // H5F_ACC_RDONLY / H5F_ACC_RDWR
            let id = try withFileAccessList(path: path, operation: "open file") { fapl in H5Fopen(path, flags, fapl) }
            return HDF5File(path: path, id: id)
        }
    }

    /// Builds the file-access property list (strong close degree) used for every file and
    /// passes it to `body`; a negative result becomes an error for `operation`. The error
    /// stack is read before the list is closed (every HDF5 call clears the stack).
    private static func withFileAccessList(path: String, operation: String, _ body: (hid_t) -> hid_t) throws -> hid_t {
        let fapl = H5Pcreate(HDF5GlobalIDs.fileAccessClass)
        guard fapl >= 0 else {
            throw HDF5Error.fromStack(file: path, objectPath: "", operation: "create file access list")
        }
        defer { H5Pclose(fapl) }
        guard H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0 else {
            throw HDF5Error.fromStack(file: path, objectPath: "", operation: "set file close degree")
        }
        let id = body(fapl)
        guard id >= 0 else { throw HDF5Error.fromStack(file: path, objectPath: "", operation: operation) }
        return id
    }

    /// True until ``close()`` has run.
    public var isOpen: Bool { HDF5Library.serialized { handle.id >= 0 } }

    /// The root group `/`, which also carries the file-level attributes.
    public var root: HDF5Group {
        get throws { try HDF5Group.open(in: self, at: "/", relativeTo: nil) }
    }

    /// Writes buffered data to the operating system (not an `fsync`).
    public func flush() throws {
        try HDF5Library.serialized {
            try requireOpen("flush")
            guard H5Fflush(handle.id, H5F_SCOPE_GLOBAL) >= 0 else {
                throw HDF5Error.fromStack(file: path, objectPath: "/", operation: "flush")
            }
        }
    }

    /// Closes the file and every object still open in it; throws if HDF5 reports a failure
    /// (for example while flushing metadata). Closing twice is a no-op.
    public func close() throws {
        try HDF5Library.serialized {
            guard handle.id >= 0 else { return }
            guard handle.close() else {
                throw HDF5Error.fromStack(file: path, objectPath: "/", operation: "close file")
            }
        }
    }

    /// Number of identifiers open in this file, the file itself included (1 when every group,
    /// dataset, datatype and attribute has been closed); 0 once closed. A leak detector.
    public var openObjectCount: Int {
        HDF5Library.serialized {
            guard handle.id >= 0 else { return 0 }
            // H5F_OBJ_ALL (0x1F: file, dataset, group, datatype, attribute) | H5F_OBJ_LOCAL (0x20);
            // the composite macros cannot be imported.
            return max(0, H5Fget_obj_count(handle.id, 0x003F))
        }
    }

    /// Throws when the file was already closed. Called with the lock held.
    func requireOpen(_ operation: String, objectPath: String = "/") throws {
        guard handle.id >= 0 else {
            throw HDF5Error(file: path, objectPath: objectPath, operation: operation, reason: "file is closed")
        }
    }
}

extension HDF5File {
    /// Convenience for `try root.group(path)`.
    public func group(_ path: String) throws -> HDF5Group { try root.group(path) }

    /// Convenience for `try root.createGroup(path)`.
    @discardableResult
    public func createGroup(_ path: String) throws -> HDF5Group { try root.createGroup(path) }

    /// Convenience for `try root.exists(path)`.
    public func exists(_ path: String) throws -> Bool { try root.exists(path) }

    /// Convenience for `try root.dataset(path)`.
    public func dataset(_ path: String) throws -> HDF5Dataset { try root.dataset(path) }
}
