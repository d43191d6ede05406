import Foundation

/// The Hugging Face cache layout, shared with the Python tools:
/// `models--ORG--NAME/blobs/<etag>` holds each file once (named by its LFS sha256, or its git
/// blob id for small files), `snapshots/<commit>/<path>` are relative symlinks into `blobs`,
/// and `refs/main` holds the commit `main` pointed at when last downloaded.
public struct HubCache: Sendable {
    /// The cache root (``HubEnvironment/cacheDirectory``).
    public let root: URL

    /// A cache rooted at `root`.
    public init(root: URL) { self.root = root }

    /// `root/models--ORG--NAME`.
    public func repositoryFolder(_ repository: HubRepositoryID) -> URL {
        root.appendingPathComponent(repository.cacheFolderName)
    }

    /// The snapshot folder `refs/<revision>` points at, when both exist.
    public func snapshotFolder(_ repository: HubRepositoryID, revision: String = "main") -> URL? {
        let folder = repositoryFolder(repository)
        guard let commit = try? String(contentsOf: folder.appendingPathComponent("refs").appendingPathComponent(revision), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), !commit.isEmpty, !commit.contains("/") else { return nil }
        let snapshot = snapshotFolder(repository, commit: commit)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: snapshot.path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        return snapshot
    }

    /// `models--ORG--NAME/snapshots/<commit>`.
    public func snapshotFolder(_ repository: HubRepositoryID, commit: String) -> URL {
        repositoryFolder(repository).appendingPathComponent("snapshots").appendingPathComponent(commit)
    }

    /// `models--ORG--NAME/blobs/<etag>`.
    public func blob(_ repository: HubRepositoryID, etag: String) -> URL {
        repositoryFolder(repository).appendingPathComponent("blobs").appendingPathComponent(etag)
    }

    /// Where a partial download of a blob is kept until it is complete and verified.
    public func incompleteBlob(_ repository: HubRepositoryID, etag: String) -> URL {
        repositoryFolder(repository).appendingPathComponent("blobs").appendingPathComponent(etag + ".incomplete")
    }

    /// Writes `refs/<revision>` = `commit`.
    public func setReference(_ repository: HubRepositoryID, revision: String = "main", commit: String) throws {
        let refs = repositoryFolder(repository).appendingPathComponent("refs")
        try createFolder(refs)
        try AtomicFile.write(Data(commit.utf8), to: refs.appendingPathComponent(revision))
    }

    /// Makes `snapshots/<commit>/<path>` a relative symlink to the blob `etag`, replacing any
    /// link already there.
    public func link(_ repository: HubRepositoryID, commit: String, path: String, etag: String) throws {
        let file = snapshotFolder(repository, commit: commit).appendingPathComponent(path)
        try createFolder(file.deletingLastPathComponent())
        let depth = path.split(separator: "/").count - 1
        let target = String(repeating: "../", count: depth + 2) + "blobs/" + etag
        try? FileManager.default.removeItem(at: file)
        do {
            try FileManager.default.createSymbolicLink(atPath: file.path, withDestinationPath: target)
        } catch {
            throw HubError(.cache, "cannot link \(file.path) to \(target): \(error.localizedDescription)")
        }
    }

    func createFolder(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw HubError(.cache, "cannot create the cache folder \(url.path): \(error.localizedDescription)")
        }
    }
}
