import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Blocking HTTP GETs over URLSession (libcurl on Linux) for the hub client: small answers kept
/// in memory, file bodies streamed to disk. The `Authorization` header is dropped when a
/// redirect leaves the original host (the hub redirects large files to a CDN).
enum HubHTTP {
    /// A finished request: status, headers, and the body unless it went to a file.
    struct Response {
        let status: Int
        let headers: [String: String]
        let body: Data

        /// A header, by case-insensitive name.
        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    /// GETs `url`, keeping the body in memory.
    /// - Throws: ``HubError`` of kind `.network` when the server cannot be reached.
    static func get(_ url: URL, headers: [String: String]) throws -> Response {
        try perform(url, headers: headers, transfer: Transfer(file: nil, offset: 0, progress: nil))
    }

    /// GETs `url` into `file`: a 206 answer is appended at `offset`, a 200 answer replaces the
    /// file's content; other answers leave the file alone and are returned with their body.
    /// `progress` gets the file's length after each piece received.
    /// - Throws: ``HubError`` of kind `.network` when the transfer fails (received bytes stay in `file`).
    static func download(_ url: URL, headers: [String: String], to file: URL, offset: Int64,
                         progress: @escaping @Sendable (Int64) -> Void) throws -> Response {
        if !FileManager.default.fileExists(atPath: file.path) { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let handle: FileHandle
        do { handle = try FileHandle(forWritingTo: file) } catch {
            throw HubError(.cache, "cannot write \(file.path): \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        return try perform(url, headers: headers, transfer: Transfer(file: handle, offset: offset, progress: progress))
    }

    private static func perform(_ url: URL, headers: [String: String], transfer: Transfer) throws -> Response {
        var request = URLRequest(url: url, timeoutInterval: 60)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: .ephemeral, delegate: transfer, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request).resume()
        transfer.done.wait()
        if let failure = transfer.failure { throw failure }
        if let error = transfer.error {
            throw HubError(.network, "cannot download \(url.absoluteString): \(describe(error))")
        }
        guard let response = transfer.response else {
            throw HubError(.network, "no answer from \(url.absoluteString)")
        }
        var fields: [String: String] = [:]
        for (key, value) in response.allHeaderFields { fields["\(key)"] = "\(value)" }
        return Response(status: response.statusCode, headers: fields, body: transfer.body)
    }

    /// A URLError in words (Linux's `localizedDescription` is often generic).
    static func describe(_ error: Error) -> String {
        guard let urlError = error as? URLError else { return error.localizedDescription }
        switch urlError.code {
        case .cannotConnectToHost: return "connection refused"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .timedOut: return "timed out"
        case .networkConnectionLost: return "the connection was lost mid-transfer"
        case .notConnectedToInternet: return "no network connection"
        case .secureConnectionFailed, .serverCertificateUntrusted: return "TLS connection failed"
        default: return "\(urlError.localizedDescription) (URLError \(urlError.code.rawValue))"
        }
    }

    /// The delegate of one request; callbacks run on the session's serial queue.
    private final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let file: FileHandle?
        let offset: Int64
        let progress: (@Sendable (Int64) -> Void)?
        let done = DispatchSemaphore(value: 0)
        var response: HTTPURLResponse?
        var error: Error?
        /// A local failure (writing the file) that stops the transfer.
        var failure: HubError?
        var body = Data()
        /// Whether received data goes to `file`.
        var toFile = false
        var length: Int64 = 0

        init(file: FileHandle?, offset: Int64, progress: (@Sendable (Int64) -> Void)?) {
            self.file = file
            self.offset = offset
            self.progress = progress
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            let http = response as? HTTPURLResponse
            self.response = http
            if let file, let status = http?.statusCode, status == 200 || status == 206 {
                let range = http?.value(forHTTPHeaderField: "Content-Range") ?? ""
                if status == 206 && !range.hasPrefix("bytes \(offset)-") {
                    failure = HubError(.badResponse, "asked for bytes from \(offset) but the server sent range '\(range)'")
                    completionHandler(.cancel)
                    return
                }
                do {
                    length = status == 206 ? offset : 0
                    try file.truncate(atOffset: UInt64(length))
                    try file.seek(toOffset: UInt64(length))
                    toFile = true
                } catch {
                    failure = HubError(.cache, "cannot write the download: \(error.localizedDescription)")
                    completionHandler(.cancel)
                    return
                }
            }
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            guard toFile, let file else {
                body.append(data)
                return
            }
            guard failure == nil else { return }
            do {
                try file.write(contentsOf: data)
                length += Int64(data.count)
                progress?(length)
            } catch {
                failure = HubError(.cache, "cannot write the download: \(error.localizedDescription)")
                dataTask.cancel()
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            var next = request
            if request.url?.host != task.originalRequest?.url?.host { next.setValue(nil, forHTTPHeaderField: "Authorization") }
            completionHandler(next)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            self.error = error
            done.signal()
        }
    }
}
