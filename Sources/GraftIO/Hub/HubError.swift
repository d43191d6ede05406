/// A failure to find, download or verify a Hugging Face Hub model; `description` says what
/// happened and what to do.
public struct HubError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure.
    public enum Kind: Sendable, Equatable {
        /// The hub answered 404 (or 401 without a token): no such repository or file.
        case notFound
        /// 401/403: the repository is private or gated, or the token is refused.
        case unauthorized
        /// The endpoint could not be reached (DNS, refused connection, timeout, dropped transfer).
        case network
        /// `HF_HUB_OFFLINE` is set and the cache does not hold what is needed.
        case offline
        /// A downloaded file has another size or hash than the hub's metadata.
        case corrupted
        /// The hub's answer cannot be used (malformed JSON, missing metadata, unexpected status).
        case badResponse
        /// A local file operation in the cache failed.
        case cache
    }

    /// What kind of failure.
    public let kind: Kind
    /// The full message.
    public let message: String

    /// An error of `kind` saying `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
