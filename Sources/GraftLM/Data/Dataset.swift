import Foundation

/// A dataset folder: `train.jsonl` and `valid.jsonl` (required) and `test.jsonl` (optional),
/// each tokenized with the model's tokenizer and chat template.
public struct Dataset: Sendable {
    /// The folder.
    public let directory: String
    /// Training examples.
    public let train: DatasetSplit
    /// Validation examples.
    public let valid: DatasetSplit
    /// Test examples, when `test.jsonl` exists.
    public let test: DatasetSplit?

    /// The default truncation length (mlx-lm's default).
    public static let defaultMaxSequenceLength = 2048

    /// Loads `directory`.
    /// - Parameters:
    ///   - encoder: tokenizer, chat template and prompt masking.
    ///   - maxSequenceLength: examples are cut to this many tokens (at least 2).
    /// - Throws: ``DatasetError`` for a missing train/valid file or any bad record
    ///   (naming the file and line).
    public init(directory: String, encoder: ExampleEncoder,
                maxSequenceLength: Int = Dataset.defaultMaxSequenceLength) throws {
        self.directory = directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError(.missingFile, file: directory, detail: "no such dataset folder (expected a folder with train.jsonl and valid.jsonl)")
        }
        func load(_ name: String, required: Bool) throws -> DatasetSplit? {
            let path = URL(fileURLWithPath: directory).appendingPathComponent("\(name).jsonl").path
            guard FileManager.default.fileExists(atPath: path) else {
                if required {
                    throw DatasetError(.missingFile, file: path,
                                       detail: "missing \(name) split: a dataset folder needs train.jsonl and valid.jsonl (test.jsonl is optional)")
                }
                return nil
            }
            return try DatasetSplit(name: name, path: path, encoder: encoder, maxSequenceLength: maxSequenceLength)
        }
        self.train = try load("train", required: true)!
        self.valid = try load("valid", required: true)!
        self.test = try load("test", required: false)
    }

    /// The splits present, in the order train, valid, test.
    public var splits: [DatasetSplit] { [train, valid] + (test.map { [$0] } ?? []) }
}
