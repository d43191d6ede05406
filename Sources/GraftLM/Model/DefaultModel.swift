import Foundation

/// Where Graft looks for models by default.
public enum DefaultModel {
    /// File name of the default model.
    public static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// `${GRAFT_CACHE:-$HOME/.cache/graft}`.
    public static var cacheDirectory: URL {
        let env = ProcessInfo.processInfo.environment
        if let cache = env["GRAFT_CACHE"], !cache.isEmpty { return URL(fileURLWithPath: cache) }
        return URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/graft")
    }

    /// `${GRAFT_CACHE:-$HOME/.cache/graft}/models/SmolLM2-135M-Instruct.Q4_1.gguf`.
    public static var url: URL { cacheDirectory.appendingPathComponent("models").appendingPathComponent(fileName) }
}
