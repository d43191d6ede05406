import Foundation

/// A run folder of checkpoints: `step-000200.h5` files, a `latest` pointer written last, and
/// retention of the newest `keepLast` files plus the one with the best validation loss
/// (named in a `best` pointer). Every file and pointer is written atomically, so a crash at any
/// moment leaves the previous checkpoint and pointers intact.
public struct CheckpointDirectory {
    public let url: URL
    public var keepLast: Int
    public var keepBest: Bool

    public init(url: URL, keepLast: Int = 3, keepBest: Bool = true) {
        self.url = url
        self.keepLast = max(1, keepLast)
        self.keepBest = keepBest
    }

    /// The file name for a step.
    public static func fileName(step: Int) -> String { String(format: "step-%06d.h5", step) }

    /// Saves `checkpoint`, moves the `latest` pointer to it, updates `best`, then prunes.
    @discardableResult
    public func save(_ checkpoint: TrainingCheckpoint) throws -> URL {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let file = url.appendingPathComponent(Self.fileName(step: checkpoint.step))
        try checkpoint.write(to: file)
        try AtomicFile.write(Data((file.lastPathComponent + "\n").utf8), to: url.appendingPathComponent("latest"))
        if keepBest, let loss = checkpoint.validationLoss, loss < (bestLoss() ?? .infinity) {
            let line = "\(file.lastPathComponent) \(loss)\n"
            try AtomicFile.write(Data(line.utf8), to: url.appendingPathComponent("best"))
        }
        try prune()
        return file
    }

    /// The checkpoint to resume from: the `latest` pointer's file when it reads back, else the
    /// newest step file that does (a crash between writing a file and the pointer is fine).
    public func latest() throws -> URL {
        var candidates = stepFiles().reversed().map { url.appendingPathComponent($0) }
        if let name = pointer("latest") {
            candidates.insert(url.appendingPathComponent(name), at: 0)
        }
        for candidate in candidates where (try? TrainingCheckpoint(contentsOf: candidate)) != nil {
            return candidate
        }
        throw CheckpointError(file: url.path, problem: "no readable checkpoint (step-*.h5) in this run folder")
    }

    /// Resolves `--resume PATH`: a checkpoint file, or a run folder (its latest checkpoint).
    public static func resolve(_ path: String) throws -> URL {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError(file: path, problem: "no such checkpoint file or run folder")
        }
        let u = URL(fileURLWithPath: path)
        return isDirectory.boolValue ? try CheckpointDirectory(url: u).latest() : u
    }

    /// Step files present, oldest first.
    public func stepFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasPrefix("step-") && $0.hasSuffix(".h5") }.sorted()
    }

    func pointer(_ name: String) -> String? {
        guard let text = try? String(contentsOf: url.appendingPathComponent(name), encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    func bestLoss() -> Double? {
        guard let text = try? String(contentsOf: url.appendingPathComponent("best"), encoding: .utf8) else { return nil }
        let parts = text.split(separator: " ")
        return parts.count == 2 ? Double(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) : nil
    }

    /// Deletes step files beyond the newest `keepLast`, sparing `latest` and `best`.
    func prune() throws {
        let files = stepFiles()
        let protected = Set([pointer("latest"), keepBest ? pointer("best") : nil].compactMap { $0 })
        for name in files.dropLast(keepLast) where !protected.contains(name) {
            try FileManager.default.removeItem(at: url.appendingPathComponent(name))
        }
        // Temporary files of writers that were killed mid-save (`.step-….h5.tmp-<pid>-…`).
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        for name in names where name.hasPrefix(".") {
            guard let range = name.range(of: ".tmp-") else { continue }
            let destination = String(name[name.index(after: name.startIndex)..<range.lowerBound])
            _ = try? AtomicFile.removeStaleTemporaries(for: url.appendingPathComponent(destination))
        }
    }
}
