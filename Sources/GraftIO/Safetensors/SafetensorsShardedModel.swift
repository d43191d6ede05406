import Foundation

/// A model stored as one `model.safetensors` or as shards listed in
/// `model.safetensors.index.json` (`{"metadata": {"total_size": N}, "weight_map": {tensor: file}}`).
/// All shards are mapped and validated when the model is opened.
public final class SafetensorsShardedModel: @unchecked Sendable {
    /// Name of the index file of a sharded model.
    public static let indexFileName = "model.safetensors.index.json"
    /// Name of the single file of an unsharded model.
    public static let singleFileName = "model.safetensors"

    /// The model directory.
    public let directory: URL
    /// Tensor name → shard file name (relative to ``directory``).
    public let weightMap: [String: String]
    /// `metadata.total_size` from the index (nil for a single file or when absent).
    public let totalSize: Int?
    private let shards: [String: SafetensorsFile]

    /// Opens `directory`, preferring the index file and falling back to `model.safetensors`.
    public convenience init(directory: URL) throws {
        let index = directory.appendingPathComponent(Self.indexFileName)
        if FileManager.default.fileExists(atPath: index.path) {
            try self.init(indexURL: index)
            return
        }
        let single = directory.appendingPathComponent(Self.singleFileName)
        guard FileManager.default.fileExists(atPath: single.path) else {
            throw SafetensorsError(file: directory.path, .invalidIndex(
                "neither \(Self.indexFileName) nor \(Self.singleFileName) exists"))
        }
        let file = try SafetensorsFile(contentsOf: single)
        self.init(directory: directory, weightMap: Dictionary(uniqueKeysWithValues: file.tensorNames.map {
            ($0, Self.singleFileName)
        }), totalSize: nil, shards: [Self.singleFileName: file])
    }

    /// Opens the shards listed by the index at `indexURL` and checks that each listed tensor
    /// is in its shard.
    public convenience init(indexURL: URL) throws {
        let path = indexURL.path
        func fail(_ reason: String) -> SafetensorsError { SafetensorsError(file: path, .invalidIndex(reason)) }
        let data: Data
        do { data = try Data(contentsOf: indexURL) } catch { throw SafetensorsError(file: path, .io("cannot read: \(error)")) }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw fail("not a JSON object")
        }
        guard let weightMap = json["weight_map"] as? [String: String] else {
            throw fail("missing or malformed \"weight_map\" (must map tensor names to file names)")
        }
        let totalSize = ((json["metadata"] as? [String: Any])?["total_size"] as? NSNumber)?.intValue
        let directory = indexURL.deletingLastPathComponent()
        var shards: [String: SafetensorsFile] = [:]
        for shardName in Set(weightMap.values).sorted() {
            guard !shardName.contains("/"), shardName != "..", !shardName.isEmpty else {
                throw fail("shard name '\(shardName)' is not a plain file name")
            }
            shards[shardName] = try SafetensorsFile(contentsOf: directory.appendingPathComponent(shardName))
        }
        for (tensor, shardName) in weightMap where !(shards[shardName]?.contains(tensor) ?? false) {
            throw fail("tensor '\(tensor)' is mapped to \(shardName), which does not contain it")
        }
        self.init(directory: directory, weightMap: weightMap, totalSize: totalSize, shards: shards)
    }

    private init(directory: URL, weightMap: [String: String], totalSize: Int?, shards: [String: SafetensorsFile]) {
        self.directory = directory
        self.weightMap = weightMap
        self.totalSize = totalSize
        self.shards = shards
    }

    /// All tensor names, sorted.
    public var tensorNames: [String] { weightMap.keys.sorted() }

    /// Shard file names, sorted.
    public var shardNames: [String] { shards.keys.sorted() }

    /// The opened shard holding tensor `name`.
    public func file(containing name: String) throws -> SafetensorsFile {
        guard let shard = weightMap[name], let file = shards[shard] else {
            throw SafetensorsError(file: directory.path, .tensorNotFound(name))
        }
        return file
    }

    /// dtype, shape and byte range (within its shard) of tensor `name`.
    public func info(_ name: String) throws -> SafetensorsTensorInfo { try file(containing: name).info(name) }

    /// Tensor `name` converted to `Float` (see ``SafetensorsFile/floats(_:)``).
    public func floats(_ name: String) throws -> [Float] { try file(containing: name).floats(name) }

    /// Calls `body` with the raw bytes of tensor `name`.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try file(containing: name).withRawBytes(name, body)
    }
}
