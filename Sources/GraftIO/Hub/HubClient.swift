import Foundation

/// Downloads Hugging Face Hub model repositories into the standard hub cache (``HubCache``),
/// resuming partial files and checking every file's size and hash against the hub's metadata.
public struct HubClient: Sendable {
    /// Endpoint, cache, token and offline mode.
    public let environment: HubEnvironment
    /// Where download progress goes.
    public let progress: DownloadProgress

    /// A client for `environment`, reporting on `progress`.
    public init(environment: HubEnvironment = HubEnvironment(), progress: DownloadProgress = DownloadProgress()) {
        self.environment = environment
        self.progress = progress
    }

    /// The cache the client reads and fills.
    public var cache: HubCache { HubCache(root: environment.cacheDirectory) }

    /// Headers of every request to the endpoint.
    private var headers: [String: String] {
        var headers = ["User-Agent": "graft"]
        if let token = environment.token { headers["Authorization"] = "Bearer \(token)" }
        return headers
    }

    /// What `main` of `repository` holds now: its commit and files.
    /// - Throws: ``HubError`` (`.offline`, `.notFound`, `.unauthorized`, `.network`, `.badResponse`).
    public func modelInfo(_ repository: HubRepositoryID) throws -> HubModelInfo {
        guard !environment.offline else {
            throw HubError(.offline, "\(repository) is not in the Hugging Face cache \(cache.repositoryFolder(repository).path), "
                + "and HF_HUB_OFFLINE is set, so the hub is not contacted (unset HF_HUB_OFFLINE to download it)")
        }
        let url = environment.endpoint.appendingPathComponent("api/models/\(repository.owner)/\(repository.name)/revision/main")
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "blobs", value: "true")]
        let response = try HubHTTP.get(components.url!, headers: headers)
        try check(response, what: "repository \(repository)", url: url)
        do {
            return try JSONDecoder().decode(HubModelInfo.self, from: response.body)
        } catch {
            throw HubError(.badResponse, "\(url.absoluteString) did not answer with the repository's metadata: \(error)")
        }
    }

    /// Downloads into the cache every file of `repository` (at the commit `main` points at now)
    /// whose path passes `include`, skipping files already cached, and points `refs/main` at
    /// that commit. Returns the snapshot folder.
    /// - Throws: ``HubError``; a file that fails its size or hash check is deleted, an
    ///   interrupted one is kept as `blobs/<etag>.incomplete` and resumed by the next call.
    @discardableResult
    public func download(_ repository: HubRepositoryID, info: HubModelInfo? = nil,
                         include: (String) -> Bool = { _ in true }) throws -> URL {
        let info = try info ?? modelInfo(repository)
        guard !info.sha.isEmpty, !info.sha.contains("/"), !info.sha.contains("..") else {
            throw HubError(.badResponse, "the hub gave an invalid commit '\(info.sha)' for \(repository)")
        }
        try cache.setReference(repository, commit: info.sha)
        let snapshot = cache.snapshotFolder(repository, commit: info.sha)
        try cache.createFolder(snapshot)
        for sibling in info.siblings where include(sibling.rfilename) {
            try fetch(sibling, of: repository, commit: info.sha)
        }
        return snapshot
    }

    /// Makes `snapshots/<commit>/<file>` exist: linked to a cached blob, or downloaded and checked.
    private func fetch(_ sibling: HubModelInfo.Sibling, of repository: HubRepositoryID, commit: String) throws {
        let path = sibling.rfilename
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.hasPrefix("/"), !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw HubError(.badResponse, "the hub lists an unsafe file name '\(path)' in \(repository)")
        }
        guard let etag = sibling.etag, let size = sibling.contentSize,
              etag.allSatisfy({ $0.isHexDigit }), !etag.isEmpty else {
            throw HubError(.badResponse, "the hub gave no size and hash for \(repository)/\(path) (its API must answer ?blobs=true)")
        }
        let linked = cache.snapshotFolder(repository, commit: commit).appendingPathComponent(path)
        if FileManager.default.fileExists(atPath: linked.path) { return }
        let blob = cache.blob(repository, etag: etag)
        if !FileManager.default.fileExists(atPath: blob.path) {
            try downloadBlob(sibling, of: repository, commit: commit, etag: etag, size: Int64(size), to: blob)
        }
        try cache.link(repository, commit: commit, path: path, etag: etag)
    }

    private func downloadBlob(_ sibling: HubModelInfo.Sibling, of repository: HubRepositoryID, commit: String,
                              etag: String, size: Int64, to blob: URL) throws {
        let path = sibling.rfilename
        try cache.createFolder(blob.deletingLastPathComponent())
        let partial = cache.incompleteBlob(repository, etag: etag)
        var offset = (try? FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int64) ?? 0
        if offset > size {
            try? FileManager.default.removeItem(at: partial)
            offset = 0
        }
        if offset < size || size == 0 {
            var request = headers
            if offset > 0 { request["Range"] = "bytes=\(offset)-" }
            let encoded = path.split(separator: "/").map {
                String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? String($0)
            }.joined(separator: "/")
            let url = URL(string: "\(environment.endpoint.absoluteString)/\(repository.owner)/\(repository.name)/resolve/\(commit)/\(encoded)")!
            progress.begin(file: path, total: size, resumedFrom: offset)
            let reporter = progress
            let response: HubHTTP.Response
            do {
                response = try HubHTTP.download(url, headers: request, to: partial, offset: offset) { reporter.update(received: $0) }
            } catch let error as HubError where error.kind == .network {
                throw HubError(.network, "\(error.message); the \(DownloadProgress.bytes(Self.length(of: partial))) received are kept "
                    + "in \(partial.path) and the next run resumes from there")
            }
            do {
                try check(response, what: "file \(path) of \(repository)", url: url)
            } catch {
                if Self.length(of: partial) == 0 { try? FileManager.default.removeItem(at: partial) }
                throw error
            }
        } else {
            progress.begin(file: path, total: size, resumedFrom: offset)
        }
        try verify(partial, size: size, sibling: sibling, name: "\(repository)/\(path)")
        do {
            try FileManager.default.moveItem(at: partial, to: blob)
        } catch {
            throw HubError(.cache, "cannot move \(partial.path) to \(blob.path): \(error.localizedDescription)")
        }
        progress.end()
    }

    /// Checks a finished download; deletes it when it is wrong.
    private func verify(_ file: URL, size: Int64, sibling: HubModelInfo.Sibling, name: String) throws {
        let actualSize = Self.length(of: file)
        var problem: String?
        if actualSize != size {
            problem = "\(actualSize) bytes received, the hub says \(size)"
        } else if let lfs = sibling.lfs {
            let digest = try SHA256.hexDigest(ofFile: file)
            if digest != lfs.sha256.lowercased() { problem = "sha256 \(digest), the hub says \(lfs.sha256)" }
        } else if let blobId = sibling.blobId {
            let digest = try SHA1.gitBlobID(ofFile: file)
            if digest != blobId.lowercased() { problem = "git blob id \(digest), the hub says \(blobId)" }
        }
        if let problem {
            try? FileManager.default.removeItem(at: file)
            throw HubError(.corrupted, "download of \(name) is corrupt (\(problem)); it was deleted, run again to download it anew")
        }
    }

    /// Turns a non-2xx answer into an error that says what to do.
    private func check(_ response: HubHTTP.Response, what: String, url: URL) throws {
        switch response.status {
        case 200..<300:
            return
        case 401 where environment.token == nil, 404:
            throw HubError(.notFound, "\(what) not found on \(environment.endpoint.absoluteString) (HTTP \(response.status)): "
                + "check the name ORG/NAME; a private or gated repository needs HF_TOKEN")
        case 401, 403:
            throw HubError(.unauthorized, "access to \(what) refused by \(environment.endpoint.absoluteString) (HTTP \(response.status)): "
                + (environment.token == nil ? "set HF_TOKEN to a token that may read it" : "the token in HF_TOKEN may not read it (gated: accept its terms on the hub)"))
        default:
            let body = String(decoding: response.body.prefix(300), as: UTF8.self)
            throw HubError(.badResponse, "\(url.absoluteString) answered HTTP \(response.status) for \(what): \(body)")
        }
    }

    static func length(of file: URL) -> Int64 {
        (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int64) ?? 0
    }
}
