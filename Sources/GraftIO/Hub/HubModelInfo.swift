import Foundation

/// What `GET /api/models/ORG/NAME/revision/main?blobs=true` says of a repository: the commit
/// and, for every file, its size and hash.
public struct HubModelInfo: Sendable, Equatable, Decodable {
    /// One file of the repository.
    public struct Sibling: Sendable, Equatable, Decodable {
        /// LFS metadata of a large file.
        public struct LFS: Sendable, Equatable, Decodable {
            /// SHA-256 of the file's content, lowercase hex.
            public let sha256: String
            /// Size in bytes.
            public let size: Int
        }

        /// Path inside the repository.
        public let rfilename: String
        /// Size in bytes (for LFS files, of the real content only in `lfs`).
        public let size: Int?
        /// The git blob id (SHA-1 of `"blob <size>\0" + content`).
        public let blobId: String?
        /// Present for files stored in LFS.
        public let lfs: LFS?

        /// The cache's blob name: the LFS sha256, else the git blob id.
        public var etag: String? { lfs?.sha256 ?? blobId }
        /// The content's size.
        public var contentSize: Int? { lfs?.size ?? size }
    }

    /// The commit the revision resolved to.
    public let sha: String
    /// The repository's files.
    public let siblings: [Sibling]
}
