import ArgumentParser
import Foundation
import GraftIO
import GraftLM

/// `graft data`: dataset tools.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Inspect training datasets.", subcommands: [DataInspectCommand.self])
}

/// `graft data inspect DIR`: loads a dataset folder with a model's tokenizer and chat template
/// and prints split sizes, a token-length histogram, truncation and one example with the
/// tokens the loss covers marked.
struct DataInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show split sizes, token lengths and which tokens are trained.",
        discussion: """
            DIR holds train.jsonl and valid.jsonl (test.jsonl is optional), one JSON object per line: \
            {"text"}, {"prompt","completion"} or {"messages":[{"role","content"},...]}, one format per file.
            """)

    @Argument(help: "Dataset folder.") var directory: String
    @Option(help: "Model GGUF file (default: $GRAFT_CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf, GRAFT_CACHE defaulting to ~/.cache/graft).")
    var model: String?
    @Option(help: "Truncate examples to this many tokens.") var maxSeqLength = Dataset.defaultMaxSequenceLength
    @Flag(inversion: .prefixedNo, help: "Train only on completion / assistant tokens.") var maskPrompt = true
    @Option(help: "Which training example to print (0-based).") var example = 0

    func validate() throws {
        guard maxSeqLength >= 2 else { throw ValidationError("--max-seq-length must be at least 2") }
        guard example >= 0 else { throw ValidationError("--example must not be negative") }
    }

    func run() throws {
        let modelPath = model ?? Self.defaultModelPath()
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw DataCommandError(message: "model file not found: \(modelPath) (pass --model, or run scripts/fetch-model.sh)")
        }
        let tokenizer = try BPETokenizer(gguf: GGUFFile(path: modelPath))
        let encoder = try ExampleEncoder(tokenizer: tokenizer, maskPrompt: maskPrompt)
        let dataset = try Dataset(directory: directory, encoder: encoder, maxSequenceLength: maxSeqLength)
        let color = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

        print("Dataset: \(directory) (\(dataset.train.format) records)")
        print("Model:   \(modelPath) (\(tokenizer.vocabularySize) tokens, chat template: \(encoder.chatTemplate == nil ? "none" : "yes"))")
        let coverage = dataset.train.format == .text || !maskPrompt ? "every token" : "completion / assistant tokens only"
        print("Loss covers \(coverage); max sequence length \(maxSeqLength)\n")

        printSummary(dataset.splits)
        printHistogram(dataset.train)
        for split in dataset.splits where split.untrainableCount > 0 {
            print("warning: \(split.untrainableCount) \(split.name) example(s) have no trained token left after truncation to \(maxSeqLength)")
        }
        try printExample(dataset.train, tokenizer: tokenizer, color: color)
    }

    private func printSummary(_ splits: [DatasetSplit]) {
        let header = ["split", "examples", "tokens", "trained", "min", "mean", "max", "truncated"]
        var rows = [header]
        for split in splits {
            let lengths = split.lengths
            let mean = Double(split.tokenCount) / Double(max(1, split.count))
            rows.append([split.name, "\(split.count)", "\(split.tokenCount)", "\(split.trainedTokenCount)",
                         "\(lengths.min() ?? 0)", String(format: "%.1f", mean), "\(lengths.max() ?? 0)",
                         "\(split.truncatedCount)"])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }
            print(cells.joined(separator: "  "))
        }
        print()
    }

    private func printHistogram(_ split: DatasetSplit) {
        let histogram = LengthHistogram(lengths: split.lengths)
        print("Token lengths (\(split.name), \(split.count) examples):")
        let largest = histogram.bins.map(\.count).max() ?? 1
        let labelWidth = histogram.bins.map { "\($0.lower)–\($0.upper)".count }.max() ?? 0
        for bin in histogram.bins {
            let label = bin.lower == bin.upper ? "\(bin.lower)" : "\(bin.lower)–\(bin.upper)"
            let bar = String(repeating: "█", count: bin.count == 0 ? 0 : max(1, bin.count * 40 / max(1, largest)))
            print("  " + String(repeating: " ", count: labelWidth - label.count) + label + " │" + bar + " \(bin.count)")
        }
        print()
    }

    private func printExample(_ split: DatasetSplit, tokenizer: BPETokenizer, color: Bool) throws {
        guard example < split.count else {
            print("(no example \(example): \(split.name) has \(split.count))")
            return
        }
        let chosen = split.examples[example]
        let marking = color ? "trained tokens in green" : "trained tokens in [brackets]"
        let fileName = URL(fileURLWithPath: split.path).lastPathComponent
        print("Example \(example): \(fileName) line \(chosen.line), \(chosen.length) tokens, \(chosen.trainedTokenCount) trained (\(marking)):")
        var text = ""
        for segment in try chosen.segments(decodedWith: tokenizer) {
            if !segment.trained {
                text += segment.text
            } else if color {
                text += "\u{1B}[1;32m" + segment.text + "\u{1B}[0m"
            } else {
                text += "[" + segment.text + "]"
            }
        }
        print(text)
    }

    /// `${GRAFT_CACHE:-$HOME/.cache/graft}/models/SmolLM2-135M-Instruct.Q4_1.gguf`.
    static func defaultModelPath() -> String {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["GRAFT_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/graft"
        return cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }
}

/// A failure of a `graft data` command, printed as is.
struct DataCommandError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
