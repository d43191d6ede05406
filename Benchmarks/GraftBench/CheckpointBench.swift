import Foundation
import GraftIO

/// Save and load time and size of a real training checkpoint (`GraftBench checkpoint FILE`):
/// loads it, then saves the same state into a fresh run folder (atomic write, fsync, `latest`
/// pointer), best of `repeats` each.
func benchCheckpoint(_ path: String, repeats: Int = 5) throws {
    let url = URL(fileURLWithPath: path)
    var checkpoint = try TrainingCheckpoint(contentsOf: url)
    let load = best(repeats) { checkpoint = try! TrainingCheckpoint(contentsOf: url) }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graft-bench-checkpoint-\(getpid())")
    defer { try? FileManager.default.removeItem(at: folder) }
    let save = best(repeats) {
        try? FileManager.default.removeItem(at: folder)
        _ = try! CheckpointDirectory(url: folder).save(checkpoint)
    }
    let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    let values = checkpoint.adapters.values.reduce(0) { $0 + $1.size }
    emit(["bench": "checkpoint", "file": url.lastPathComponent, "bytes": size, "adapter_values": values,
          "save_seconds": save, "load_seconds": load])
}
