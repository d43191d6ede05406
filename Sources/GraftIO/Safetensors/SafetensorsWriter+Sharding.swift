import Foundation

extension SafetensorsWriter {
    /// Writes the tensors into `directory` as a Hugging Face style model: a single
    /// `model.safetensors` when everything fits in `maxShardBytes`, otherwise shards
    /// `model-0000i-of-0000n.safetensors` (tensors in name order, a new shard started when the
    /// next tensor would exceed the limit) plus `model.safetensors.index.json` with
    /// `total_size` (sum of tensor bytes) and the sorted `weight_map`. Each shard carries
    /// this writer's metadata. Every file is written atomically. Returns the file names.
    @discardableResult
    public func writeModel(to directory: URL, maxShardBytes: Int) throws -> [String] {
        let groups = shardGroups(maxShardBytes: maxShardBytes)
        if groups.count <= 1 {
            try write(to: directory.appendingPathComponent(SafetensorsShardedModel.singleFileName))
            return [SafetensorsShardedModel.singleFileName]
        }
        var names: [String] = []
        var weightMap: [String: String] = [:]
        for (index, group) in groups.enumerated() {
            let name = String(format: "model-%05d-of-%05d.safetensors", index + 1, groups.count)
            try group.write(to: directory.appendingPathComponent(name))
            for tensor in group.tensorNames { weightMap[tensor] = name }
            names.append(name)
        }
        let index: [String: Any] = ["metadata": ["total_size": dataByteCount], "weight_map": weightMap]
        let json = try JSONSerialization.data(withJSONObject: index,
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicFile.write(json, to: directory.appendingPathComponent(SafetensorsShardedModel.indexFileName))
        return names + [SafetensorsShardedModel.indexFileName]
    }
}
