import Foundation

/// The Hugging Face Hub settings Graft honours, read from environment variables the way the
/// `huggingface_hub` Python library reads them.
public struct HubEnvironment: Sendable, Equatable {
    /// `HF_ENDPOINT`, else `https://huggingface.co`.
    public var endpoint: URL
    /// The hub cache: `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`,
    /// else `~/.cache/huggingface/hub`.
    public var cacheDirectory: URL
    /// `HF_TOKEN`, else the token file (`HF_TOKEN_PATH`, else `$HF_HOME/token`); sent as
    /// `Authorization: Bearer` to the endpoint's host.
    public var token: String?
    /// `HF_HUB_OFFLINE` set to 1/ON/YES/TRUE: use the cache only, never the network.
    public var offline: Bool

    /// Settings from `environment` (the process environment by default).
    public init(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        func expanded(_ path: String) -> URL { URL(fileURLWithPath: (path as NSString).expandingTildeInPath) }
        let home = value("HOME").map(expanded) ?? URL(fileURLWithPath: NSHomeDirectory())
        let hfHome = value("HF_HOME").map(expanded)
            ?? (value("XDG_CACHE_HOME").map(expanded) ?? home.appendingPathComponent(".cache")).appendingPathComponent("huggingface")
        endpoint = value("HF_ENDPOINT").flatMap { URL(string: $0.hasSuffix("/") ? String($0.dropLast()) : $0) }
            ?? URL(string: "https://huggingface.co")!
        cacheDirectory = value("HF_HUB_CACHE").map(expanded) ?? hfHome.appendingPathComponent("hub")
        let tokenFile = value("HF_TOKEN_PATH").map(expanded) ?? hfHome.appendingPathComponent("token")
        token = value("HF_TOKEN")
            ?? (try? String(contentsOf: tokenFile, encoding: .utf8)).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .flatMap { $0.isEmpty ? nil : $0 }
        offline = ["1", "ON", "YES", "TRUE"].contains(value("HF_HUB_OFFLINE")?.uppercased() ?? "")
    }
}
