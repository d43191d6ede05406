import Foundation

/// One line of a run's metrics file (`metrics.jsonl`): a training report, a validation
/// evaluation, or the final test evaluation.
public struct MetricsRecord: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case train, validation, test }
    public var kind: Kind
    public var step: Int
    public var loss: Double
    public var learningRate: Double?
    public var iterationsPerSecond: Double?
    /// Real (unpadded) tokens processed per second, as mlx-lm reports it.
    public var tokensPerSecond: Double?
    public var trainedTokens: Int?
    public var peakMemoryBytes: Int?
    public var elapsedSeconds: Double?

    public init(kind: Kind, step: Int, loss: Double, learningRate: Double? = nil, iterationsPerSecond: Double? = nil,
                tokensPerSecond: Double? = nil, trainedTokens: Int? = nil, peakMemoryBytes: Int? = nil,
                elapsedSeconds: Double? = nil) {
        self.kind = kind
        self.step = step
        self.loss = loss
        self.learningRate = learningRate
        self.iterationsPerSecond = iterationsPerSecond
        self.tokensPerSecond = tokensPerSecond
        self.trainedTokens = trainedTokens
        self.peakMemoryBytes = peakMemoryBytes
        self.elapsedSeconds = elapsedSeconds
    }

    enum CodingKeys: String, CodingKey {
        case kind, step, loss
        case learningRate = "learning_rate"
        case iterationsPerSecond = "iterations_per_second"
        case tokensPerSecond = "tokens_per_second"
        case trainedTokens = "trained_tokens"
        case peakMemoryBytes = "peak_memory_bytes"
        case elapsedSeconds = "elapsed_seconds"
    }
}

/// The metrics of a run: appended as JSON lines, and drawn as a loss curve.
public struct TrainingMetrics: Sendable {
    public private(set) var records: [MetricsRecord] = []

    public init(records: [MetricsRecord] = []) { self.records = records }

    /// Parses `metrics.jsonl` text (as stored in checkpoints); bad lines are an error naming them.
    public init(jsonLines: String) throws {
        let decoder = JSONDecoder()
        for (i, line) in jsonLines.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            do {
                records.append(try decoder.decode(MetricsRecord.self, from: Data(line.utf8)))
            } catch {
                throw CheckpointMetricsError(line: i + 1, text: String(line))
            }
        }
    }

    public mutating func append(_ r: MetricsRecord) { records.append(r) }

    /// Every record as JSON lines.
    public var jsonLines: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return records.map { String(decoding: try! encoder.encode($0), as: UTF8.self) + "\n" }.joined()
    }

    /// The best validation loss so far.
    public var bestValidationLoss: Double? { records.filter { $0.kind == .validation }.map(\.loss).min() }
}

/// A metrics line that does not parse.
public struct CheckpointMetricsError: Error, CustomStringConvertible {
    public let line: Int
    public let text: String
    public var description: String { "metrics line \(line) is not a metrics record: \(text.prefix(120))" }
}
