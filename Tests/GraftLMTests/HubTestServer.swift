import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 server on 127.0.0.1 (a free port) that plays the Hugging Face Hub for one
/// repository: `GET /api/models/ORG/NAME/revision/main` answers the fixture metadata, `GET
/// /ORG/NAME/resolve/<commit>/<file>` the file (with `Range: bytes=N-` support); anything else
/// is a 404. One connection at a time, closed after each answer. Records every request.
final class HubTestServer: @unchecked Sendable {
    struct Request { let path: String; let headers: [String: String] }

    let repository: String
    let info: Data
    let commit: String
    let files: [String: Data]
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var recorded: [Request] = []
    private var dropped: Set<String> = []
    private let finished = DispatchSemaphore(value: 0)
    private var stopped = false

    /// The first download of this file sends its full Content-Length but only half the bytes,
    /// then closes the connection.
    var dropOnce: String? {
        get { lock.withLock { _dropOnce } }
        set { lock.withLock { _dropOnce = newValue } }
    }
    private var _dropOnce: String?
    /// Files served with one byte changed (same size).
    var corrupted: Set<String> {
        get { lock.withLock { _corrupted } }
        set { lock.withLock { _corrupted = newValue } }
    }
    private var _corrupted: Set<String> = []

    /// Answer resolve requests for `*.safetensors` with a 302 to `http://localhost:PORT/cdn/<file>`
    /// (another host name than the endpoint's 127.0.0.1), as the hub sends LFS files to its CDN.
    var redirectLFS: Bool {
        get { lock.withLock { _redirectLFS } }
        set { lock.withLock { _redirectLFS = newValue } }
    }
    private var _redirectLFS = false

    /// Requests received so far.
    var requests: [Request] { lock.withLock { recorded } }

    /// `http://127.0.0.1:PORT`.
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Serves `folder`'s files as `repository`, with `metadata` (a fixture JSON file) as the API answer.
    init(repository: String, folder: URL, metadata: URL) throws {
        self.repository = repository
        info = try Data(contentsOf: metadata)
        let object = try JSONSerialization.jsonObject(with: info) as! [String: Any]
        commit = object["sha"] as! String
        var files: [String: Data] = [:]
        for sibling in object["siblings"] as! [[String: Any]] {
            let name = sibling["rfilename"] as! String
            files[name] = try Data(contentsOf: folder.appendingPathComponent(name))
        }
        self.files = files
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw -> Bool in
                bind(listener, raw, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, raw, &length) == 0
            }
        }
        guard bound else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// Stops listening; later connections are refused.
    func stop() {
        guard lock.withLock({ () -> Bool in defer { stopped = true }; return !stopped }) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        finished.wait()
    }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                break
            }
            handle(client)
            close(client)
        }
        finished.signal()
    }

    private func handle(_ client: Int32) {
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.suffix(4).elementsEqual([13, 10, 13, 10]) {
            let count = recv(client, &buffer, buffer.count, 0)
            if count <= 0 { return }
            received += buffer[0..<count]
            if received.count > 65536 { return }
        }
        let lines = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() where line.contains(":") {
            let colon = line.firstIndex(of: ":")!
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let path = String(parts[1])
        lock.withLock { recorded.append(Request(path: path, headers: headers)) }
        respond(client, path: path, headers: headers)
    }

    private func respond(_ client: Int32, path: String, headers: [String: String]) {
        let route = path.split(separator: "?", maxSplits: 1)[0]
        if route == "/api/models/\(repository)/revision/main" {
            return send(client, status: "200 OK", headers: ["Content-Type": "application/json"], body: info)
        }
        let prefix = route.hasPrefix("/cdn/") ? "/cdn/" : "/\(repository)/resolve/\(commit)/"
        guard route.hasPrefix(prefix), let name = String(route.dropFirst(prefix.count)).removingPercentEncoding,
              var content = files[name] else {
            return send(client, status: "404 Not Found", headers: ["Content-Type": "application/json"],
                        body: Data(#"{"error":"Repository not found"}"#.utf8))
        }
        if prefix != "/cdn/" && name.hasSuffix(".safetensors") && redirectLFS {
            return send(client, status: "302 Found", headers: ["Location": "http://localhost:\(port)/cdn/\(name)"], body: Data())
        }
        let (corrupt, drop): (Bool, Bool) = lock.withLock {
            let drop = _dropOnce == name && !dropped.contains(name)
            if drop { dropped.insert(name) }
            return (_corrupted.contains(name), drop)
        }
        if corrupt { content[content.count / 2] ^= 0xff }
        var start = 0
        var status = "200 OK"
        var extra: [String: String] = [:]
        if let range = headers["range"], range.hasPrefix("bytes="), range.hasSuffix("-"),
           let from = Int(range.dropFirst(6).dropLast()), from < content.count {
            start = from
            status = "206 Partial Content"
            extra["Content-Range"] = "bytes \(from)-\(content.count - 1)/\(content.count)"
        }
        let body = content[start...]
        if drop {
            let head = header(status: status, headers: extra, length: body.count)
            write(client, Data(head.utf8) + body.prefix(body.count / 2))
            return
        }
        send(client, status: status, headers: extra, body: Data(body))
    }

    private func header(status: String, headers: [String: String], length: Int) -> String {
        var text = "HTTP/1.1 \(status)\r\nContent-Length: \(length)\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        return text + "\r\n"
    }

    private func send(_ client: Int32, status: String, headers: [String: String], body: Data) {
        write(client, Data(header(status: status, headers: headers, length: body.count).utf8) + body)
    }

    private func write(_ client: Int32, _ data: Data) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = Glibc.send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return }
                offset += sent
            }
        }
    }
}
