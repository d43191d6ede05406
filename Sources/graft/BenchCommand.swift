import ArgumentParser
import Foundation
import Graft
import GraftLM

/// `graft bench`: prompt and generation throughput, time to first token, memory, and how
/// generation scales with the batch size.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prompt and generation speed (tokens/s), time to first token, peak memory and batch scaling.")

    @Option(help: "GGUF model file or Hugging Face model folder (default: $GRAFT_CACHE/models/\(DefaultModel.fileName)).")
    var model: String?
    @Option(help: "Tokens in each synthetic prompt.") var promptTokens = 512
    @Option(help: "Tokens generated per sequence (stop tokens ignored).") var genTokens = 256
    @Option(help: ArgumentHelp("Batch sizes, comma-separated.", valueName: "sizes")) var batch = "1,2,4,8"
    @Option(name: .customLong("repeat"), help: "Measured rounds, each running every batch size once (medians reported, with min–max; the speedup over the first batch size is taken within each round).") var repeats = 3
    @Option(help: "Compute threads (default: all cores or GRAFT_NUM_THREADS).") var threads: Int?
    @Option(help: ArgumentHelp(activationsHelp, valueName: "float32|int8")) var activations = ActivationPrecision.float32
    @Option(help: ArgumentHelp(kvCacheHelp, valueName: "float32|float16")) var kvCache = KVCacheArgument.float32
    @Flag(help: "Print the report as JSON.") var json = false

    /// The `--batch` list, checked.
    func batchSizes() throws -> [Int] {
        let sizes = batch.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("--batch must be comma-separated sizes ≥ 1, e.g. 1,2,4,8 (got '\(batch)')")
        }
        return sizes.map { $0! }
    }

    func validate() throws {
        _ = try batchSizes()
        if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1") }
        guard repeats >= 1 else { throw ValidationError("--repeat must be ≥ 1") }
        guard promptTokens >= 1 else { throw ValidationError("--prompt-tokens must be ≥ 1") }
        guard genTokens >= 2 else { throw ValidationError("--gen-tokens must be ≥ 2 (the first token comes from the prompt pass)") }
    }

    func run() throws {
        if let threads { ComputeThreads.set(threads) }
        let loaded = try openModel(try ModelLocator.resolve(model)).decoding(activations: activations)
            .caching(as: kvCache.dtype)
        let options = BenchmarkOptions(promptTokens: promptTokens, generatedTokens: genTokens, batchSizes: try batchSizes(),
                                       repeats: repeats)
        let report = try GenerationBenchmark.run(loaded, options: options) { printError($0) }
        print(json ? try report.json() : report.table)
    }
}
