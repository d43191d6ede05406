import Foundation
import Graft

/// Everything needed to continue a training run exactly, stored as one HDF5 file.
///
/// Layout (readable with h5py / h5dump; key paths' dots become group levels):
/// ```
/// /                       attrs: format = "graft-checkpoint", format_version = 1,
///                                graft_version, step, base_fingerprint, rng_key,
///                                validation_loss (when measured)
/// /adapters/<key/path>    float32 datasets, e.g. adapters/model/layers/3/self_attn/q_proj/lora_a
/// /optimizer              attrs: name, step; hyper-parameters as attrs
/// /optimizer/state/<key/path>/<slot>   float32 moments (slot = m, v or momentum)
/// /data                   attrs: epoch, index (next batch), seed
/// /recipe                 the recipe text (UTF-8 string dataset)
/// /metrics                the metrics so far, JSON lines (UTF-8 string dataset)
/// ```
public struct TrainingCheckpoint {
    /// Optimizer updates made so far (also the schedule position).
    public var step: Int
    /// Adapter tensors by parameter key path.
    public var adapters: [String: Tensor]
    public var optimizerName: String
    public var optimizerStep: Int
    /// Optimizer hyper-parameters (lr, betas, ...), for the record.
    public var optimizerHyperparameters: [String: Double]
    /// Optimizer state by `<key path>.<slot>`.
    public var optimizerState: [String: Tensor]
    /// The training RNG key (dropout, shuffling) at this step.
    public var rngKey: RandomKey
    public var dataEpoch: Int
    public var dataIndex: Int
    public var dataSeed: UInt64
    public var recipe: String
    public var metrics: String
    public var graftVersion: String
    /// Identifies the base model the adapters belong to (see `ModelFingerprint`).
    public var baseFingerprint: String
    public var validationLoss: Double?

    public init(step: Int, adapters: [String: Tensor], optimizerName: String, optimizerStep: Int,
                optimizerHyperparameters: [String: Double] = [:], optimizerState: [String: Tensor], rngKey: RandomKey,
                dataEpoch: Int, dataIndex: Int, dataSeed: UInt64, recipe: String, metrics: String,
                graftVersion: String, baseFingerprint: String, validationLoss: Double? = nil) {
        self.step = step
        self.adapters = adapters
        self.optimizerName = optimizerName
        self.optimizerStep = optimizerStep
        self.optimizerHyperparameters = optimizerHyperparameters
        self.optimizerState = optimizerState
        self.rngKey = rngKey
        self.dataEpoch = dataEpoch
        self.dataIndex = dataIndex
        self.dataSeed = dataSeed
        self.recipe = recipe
        self.metrics = metrics
        self.graftVersion = graftVersion
        self.baseFingerprint = baseFingerprint
        self.validationLoss = validationLoss
    }

    static let format = "graft-checkpoint"
    static let formatVersion: Int64 = 1

    /// Writes the checkpoint atomically to `url` (temp file, fsync, rename). libhdf5 runs on a
    /// helper thread (see ``HelperThread``).
    public func write(to url: URL) throws {
        let tensors = Array(adapters.values) + Array(optimizerState.values)
        eval(tensors)
        try HelperThread.run { try writeFile(to: url) }
    }

    private func writeFile(to url: URL) throws {
        try HDF5File.writeAtomically(to: url) { file in
            let root = try file.root
            try root.setAttribute("format", Self.format)
            try root.setAttribute("format_version", Self.formatVersion)
            try root.setAttribute("graft_version", graftVersion)
            try root.setAttribute("step", Int64(step))
            try root.setAttribute("base_fingerprint", baseFingerprint)
            try root.setAttribute("rng_key", Int64(bitPattern: rngKey.state))
            if let v = validationLoss { try root.setAttribute("validation_loss", v) }
            for (path, t) in adapters { try Self.writeTensor(t, in: root, at: "adapters/" + Self.groupPath(path)) }
            let optimizer = try root.createGroup("optimizer")
            try optimizer.setAttribute("name", optimizerName)
            try optimizer.setAttribute("step", Int64(optimizerStep))
            for (k, v) in optimizerHyperparameters { try optimizer.setAttribute(k, v) }
            for (path, t) in optimizerState {
                try Self.writeTensor(t, in: optimizer, at: "state/" + Self.groupPath(path))
            }
            let data = try root.createGroup("data")
            try data.setAttribute("epoch", Int64(dataEpoch))
            try data.setAttribute("index", Int64(dataIndex))
            try data.setAttribute("seed", Int64(bitPattern: dataSeed))
            try root.writeString("recipe", recipe)
            try root.writeString("metrics", metrics)
        }
    }

    /// Reads a checkpoint written by `write(to:)`; errors name the file and what is wrong.
    /// libhdf5 runs on a helper thread (see ``HelperThread``).
    public init(contentsOf url: URL) throws {
        self = try HelperThread.run { try TrainingCheckpoint(reading: url) }
    }

    private init(reading url: URL) throws {
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        let root = try file.root
        func fail(_ what: String) -> CheckpointError { CheckpointError(file: url.path, problem: what) }
        guard (try? root.attribute("format"))?.stringValue == Self.format else {
            throw fail("not a Graft checkpoint (missing format = \"\(Self.format)\")")
        }
        guard let version = try root.attribute("format_version").int64Value, version <= Self.formatVersion else {
            throw fail("format version is newer than this Graft understands (\(Self.formatVersion))")
        }
        func int(_ g: HDF5Group, _ name: String) throws -> Int64 {
            guard let v = try g.attribute(name).int64Value else { throw fail("attribute \(name) is not an integer") }
            return v
        }
        func string(_ g: HDF5Group, _ name: String) throws -> String {
            guard let v = try g.attribute(name).stringValue else { throw fail("attribute \(name) is not a string") }
            return v
        }
        step = Int(try int(root, "step"))
        graftVersion = try string(root, "graft_version")
        baseFingerprint = try string(root, "base_fingerprint")
        rngKey = RandomKey(state: UInt64(bitPattern: try int(root, "rng_key")))
        validationLoss = try root.hasAttribute("validation_loss") ? try root.attribute("validation_loss").doubleValue : nil
        adapters = try Self.readTensors(in: root.group("adapters"))
        let optimizer = try root.group("optimizer")
        optimizerName = try string(optimizer, "name")
        optimizerStep = Int(try int(optimizer, "step"))
        var hyper: [String: Double] = [:]
        for name in try optimizer.attributeNames() where name != "name" && name != "step" {
            hyper[name] = try optimizer.attribute(name).doubleValue
        }
        optimizerHyperparameters = hyper
        optimizerState = try optimizer.exists("state") ? Self.readTensors(in: optimizer.group("state")) : [:]
        let data = try root.group("data")
        dataEpoch = Int(try int(data, "epoch"))
        dataIndex = Int(try int(data, "index"))
        dataSeed = UInt64(bitPattern: try int(data, "seed"))
        recipe = try root.readString("recipe")
        metrics = try root.readString("metrics")
    }

    static func groupPath(_ keyPath: String) -> String { keyPath.replacingOccurrences(of: ".", with: "/") }

    static func writeTensor(_ t: Tensor, in group: HDF5Group, at path: String) throws {
        let values: [Float] = t.astype(.float32).toArray()
        try group.writeDataset(path, values, shape: t.shape)
    }

    /// Every dataset below `group`, keyed by its dotted path relative to `group`.
    static func readTensors(in group: HDF5Group, prefix: String = "") throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for child in try group.children() {
            let key = prefix.isEmpty ? child : prefix + "." + child
            switch try group.kind(of: child) {
            case .group: out.merge(try readTensors(in: group.group(child), prefix: key)) { a, _ in a }
            case .dataset:
                let array = try group.readDataset(child, as: Float.self)
                out[key] = Tensor(array.values, shape: array.shape)
            default: continue
            }
        }
        return out
    }
}

/// A checkpoint that cannot be used: names the file and the problem.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let problem: String
    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }
    public var description: String { "\(file): \(problem)" }
}
