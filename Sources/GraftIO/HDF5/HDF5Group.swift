import CHDF5

/// An open HDF5 group: create and open nested groups, list children, test paths.
/// Datasets and strings are handled in `HDF5Group+Datasets`.
public final class HDF5Group: HDF5Object, @unchecked Sendable {
    /// Opens the existing group at `path` (relative to `base`, or absolute).
    static func open(in file: HDF5File, at path: String, relativeTo base: HDF5Group?) throws -> HDF5Group {
        try HDF5Library.serialized {
            let location = try base?.liveID("open group") ?? file.handle.id
            try file.requireOpen("open group", objectPath: path)
            let absolute = base?.absolutePath(of: path) ?? path
            let id = H5Gopen2(location, path, hid_t(H5P_DEFAULT))
            guard id >= 0 else {
                throw HDF5Error.fromStack(file: file.path, objectPath: absolute, operation: "open group")
            }
            return HDF5Group(file: file, path: absolute, handle: HDF5Handle(id, closer: H5Gclose))
        }
    }

    /// Opens the existing group at `path` (relative, e.g. `"a/b"`, or absolute).
    public func group(_ path: String) throws -> HDF5Group {
        _ = try components(of: path, operation: "open group")
        return try HDF5Group.open(in: file, at: path, relativeTo: self)
    }

    /// Opens the group at `path`, creating it and any missing intermediate groups.
    /// Fails if a component exists but is not a group.
    @discardableResult
    public func createGroup(_ path: String) throws -> HDF5Group {
        let parts = try components(of: path, operation: "create group")
        return try HDF5Library.serialized {
            var current: HDF5Group = self
            for part in parts {
                let id = try current.liveID("create group")
                let childPath = current.absolutePath(of: part)
                let exists = H5Lexists(id, part, hid_t(H5P_DEFAULT))
                guard exists >= 0 else { throw current.stackError("create group", at: childPath) }
                if exists > 0 {
                    guard try current.kind(of: part) == .group else {
                        throw plainError("create group", at: childPath, "exists and is not a group")
                    }
                    current = try HDF5Group.open(in: file, at: part, relativeTo: current)
                } else {
                    let gid = H5Gcreate2(id, part, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
                    guard gid >= 0 else { throw current.stackError("create group", at: childPath) }
                    current = HDF5Group(file: file, path: childPath, handle: HDF5Handle(gid, closer: H5Gclose))
                }
            }
            return current
        }
    }

    /// True if every component of `path` exists (all but the last being groups).
    public func exists(_ path: String) throws -> Bool {
        let parts = try components(of: path, operation: "test path")
        return try HDF5Library.serialized {
            var current: HDF5Group = self
            for (index, part) in parts.enumerated() {
                let id = try current.liveID("test path")
                let found = H5Lexists(id, part, hid_t(H5P_DEFAULT))
                guard found >= 0 else { throw current.stackError("test path", at: current.absolutePath(of: part)) }
                guard found > 0 else { return false }
                if index == parts.count - 1 { return true }
                guard try current.kind(of: part) == .group else { return false }
                current = try HDF5Group.open(in: file, at: part, relativeTo: current)
            }
            return true
        }
    }

    /// What the link `name` (relative path) points to.
    public func kind(of name: String) throws -> HDF5ObjectKind {
        try HDF5Library.serialized {
            let id = try liveID("inspect object")
            let object = H5Oopen(id, name, hid_t(H5P_DEFAULT))
            guard object >= 0 else { throw stackError("inspect object", at: absolutePath(of: name)) }
            defer { H5Oclose(object) }
            switch H5Iget_type(object) {
            case H5I_GROUP: return .group
            case H5I_DATASET: return .dataset
            default: return .other
            }
        }
    }

    /// Removes the link `name` (a dataset or a whole group) from this group. The space is
    /// not reclaimed in the file; checkpoints are written fresh instead of edited.
    public func remove(_ name: String) throws {
        _ = try components(of: name, operation: "remove object")
        try HDF5Library.serialized {
            let id = try liveID("remove object")
            guard H5Ldelete(id, name, hid_t(H5P_DEFAULT)) >= 0 else {
                throw stackError("remove object", at: absolutePath(of: name))
            }
        }
    }

    /// Names of the direct children (groups, datasets, ...), in ascending name order.
    public func children() throws -> [String] {
        try HDF5Library.serialized {
            let id = try liveID("list children")
            var info = H5G_info_t()
            guard H5Gget_info(id, &info) >= 0 else { throw stackError("list children") }
            var names: [String] = []
            names.reserveCapacity(Int(info.nlinks))
            for index in 0..<info.nlinks {
                let length = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0,
                                                hid_t(H5P_DEFAULT))
                guard length >= 0 else { throw stackError("list children") }
                var buffer = [CChar](repeating: 0, count: length + 1)
                guard H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, length + 1,
                                         hid_t(H5P_DEFAULT)) >= 0 else { throw stackError("list children") }
                names.append(String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return names
        }
    }
}
