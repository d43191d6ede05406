/// One split of a dataset (train, valid or test), tokenized and truncated.
public struct DatasetSplit: Sendable {
    /// "train", "valid" or "test".
    public let name: String
    /// The file it was read from.
    public let path: String
    /// The format of its records.
    public let format: RecordFormat
    /// The examples, in file order, each at most `maxSequenceLength` tokens.
    public let examples: [TokenizedExample]
    /// The length examples were truncated to.
    public let maxSequenceLength: Int

    /// Reads, tokenizes and truncates `path`.
    /// - Throws: ``DatasetError`` naming the file and line of the first bad record.
    public init(name: String, path: String, encoder: ExampleEncoder, maxSequenceLength: Int) throws {
        precondition(maxSequenceLength >= 2, "maxSequenceLength must be at least 2")
        let file = try DatasetFile(path: path)
        var examples: [TokenizedExample] = []
        examples.reserveCapacity(file.records.count)
        for located in file.records {
            let example = try encoder.encode(located.record, file: path, line: located.line)
            examples.append(example.truncated(to: maxSequenceLength))
        }
        self.init(name: name, path: path, format: file.format, examples: examples, maxSequenceLength: maxSequenceLength)
    }

    /// A split from examples already tokenized (truncated here to `maxSequenceLength`).
    public init(name: String, path: String = "", format: RecordFormat, examples: [TokenizedExample],
                maxSequenceLength: Int) {
        self.name = name
        self.path = path
        self.format = format
        self.examples = examples.map { $0.truncated(to: maxSequenceLength) }
        self.maxSequenceLength = maxSequenceLength
    }

    /// Number of examples.
    public var count: Int { examples.count }

    /// Number of examples that were longer than `maxSequenceLength`.
    public var truncatedCount: Int { examples.reduce(0) { $0 + ($1.isTruncated ? 1 : 0) } }

    /// Number of examples left with no trained token (e.g. a prompt longer than the limit).
    public var untrainableCount: Int { examples.reduce(0) { $0 + ($1.trainedTokenCount == 0 ? 1 : 0) } }

    /// Total tokens over all examples (after truncation).
    public var tokenCount: Int { examples.reduce(0) { $0 + $1.length } }

    /// Total trained tokens over all examples (after truncation).
    public var trainedTokenCount: Int { examples.reduce(0) { $0 + $1.trainedTokenCount } }

    /// Example lengths in order (after truncation).
    public var lengths: [Int] { examples.map(\.length) }
}
