import ArgumentParser
import Foundation
import Graft
import GraftLM

/// Options shared by `graft generate` and `graft chat`: the model, sampling and threads.
struct ModelSamplingOptions: ParsableArguments {
    @Option(help: "GGUF model file or Hugging Face model folder (default: $GRAFT_CACHE/models/\(DefaultModel.fileName), GRAFT_CACHE defaulting to ~/.cache/graft).")
    var model: String?
    @Option(help: "Most tokens to generate.") var maxTokens = 256
    @Option(name: .customLong("temp"), help: "Sampling temperature (0 = greedy).") var temperature = 0.0
    @Option(help: "Keep the smallest set of likely tokens reaching this probability (1 = off).") var topP = 1.0
    @Option(help: "Keep only the K most likely tokens (0 = off).") var topK = 0
    @Option(help: "Drop tokens below this fraction of the top token's probability (0 = off).") var minP = 0.0
    @Option(help: "Penalty for tokens seen recently (1 = off).") var repetitionPenalty = 1.0
    @Option(help: "How many recent tokens the repetition penalty looks at (0 = all).") var repetitionWindow = 64
    @Option(help: "Random seed for sampling.") var seed: UInt64 = 0
    @Option(help: "Compute threads (default: all cores or GRAFT_NUM_THREADS).") var threads: Int?
    @Option(help: ArgumentHelp(activationsHelp, valueName: "float32|int8")) var activations = ActivationPrecision.float32
    @Option(help: ArgumentHelp(kvCacheHelp, valueName: "float32|float16")) var kvCache = KVCacheArgument.float32
    @Flag(help: "Print load time, token counts, speeds and peak memory to stderr.") var verbose = false
    @Option(help: "LoRA adapters to apply: a checkpoint (.h5), a run folder, a PEFT or mlx-lm folder, or a GGUF LoRA.")
    var adapter: String?
    @Flag(help: "With --adapter: keep the adapters on the side (W·x + scale·B·A·x as separate steps, as in training). By default they are fused at load: into the quantized matmul kernel for packed weights (exact float32 low-rank term; measured at 0.95–1.02× the base model's decoding speed), merged into the weights for dense ones.")
    var noFuse = false
    @Option(help: "Quantize a float model's weights at load to 4 or 8 bits.") var quantize: Int?
    @Option(help: "Values per quantization group with --quantize: 32, 64 or 128 (default 64).") var groupSize: Int?

    var modelURL: URL { get throws { try ModelLocator.resolve(model) } }

    var generationOptions: GenerationOptions {
        GenerationOptions(maxTokens: maxTokens, sampling: SamplingParameters(
            temperature: temperature, topK: topK, topP: topP, minP: minP, repetitionPenalty: repetitionPenalty,
            repetitionWindow: repetitionWindow, seed: seed))
    }

    func validate() throws {
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be ≥ 0") }
        if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1") }
        try generationOptions.sampling.validate()
        if groupSize != nil && quantize == nil { throw ValidationError("--group-size needs --quantize") }
        if noFuse && adapter == nil { throw ValidationError("--no-fuse needs --adapter") }
        _ = try quantizeOption()
    }

    /// The `--quantize` / `--group-size` choice, checked.
    func quantizeOption() throws -> QuantizeOption? {
        guard let quantize else { return nil }
        do { return try QuantizeOption(bits: quantize, groupSize: groupSize ?? 64) } catch { throw ValidationError("\(error)") }
    }

    /// Sets threads and loads the model, reporting the time when verbose.
    func load() throws -> LoadedModel {
        if let threads { ComputeThreads.set(threads) }
        let url = try modelURL
        let start = Date()
        var loaded = try openModel(url, quantize: try quantizeOption())
        if let adapter {
            let a = try LoadedAdapter.open(path: adapter, model: loaded.model)
            if noFuse {
                loaded = loaded.applyingOnTheSide(a)
                if verbose { printError("Adapters: \(a.file.path) (\(a.format)) on the side of \(a.adapter.adaptedModules.count) projections (not fused)") }
            } else {
                // Fused once at load: packed projections keep their weights and add the adapter in
                // the quantized kernel, dense ones merge it; decoding runs within a few percent of the base's speed.
                loaded = try loaded.fusingIntoKernels(a)
                if verbose {
                    let total = a.adapter.projectionCount
                    let inKernel = loaded.model.lowRankProjectionCount
                    printError("Adapters: \(a.file.path) (\(a.format)) fused into \(total) projections (\(inKernel) in the quantized kernel, \(total - inKernel) merged into dense weights)")
                }
            }
        }
        loaded = loaded.decoding(activations: activations).caching(as: kvCache.dtype)
        if verbose {
            if activations == .int8 && !ActivationPrecision.int8Available {
                printError("--activations int8: this CPU has no AVX-512 VNNI; decoding reads float32")
            }
            let c = loaded.model.config
            printError(String(format: "Loaded %@ (%@, %d layers, %.1fM parameters) in %.2f s, %d threads",
                              url.lastPathComponent, c.architecture, c.layerCount, Double(c.parameterCount) / 1e6,
                              Date().timeIntervalSince(start), ComputeThreads.count))
        }
        return loaded
    }
}

/// Loads a model file or folder, naming it (and how to get the default) when it is missing.
func openModel(_ url: URL, quantize: QuantizeOption? = nil) throws -> LoadedModel {
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw ModelError.invalidInput("model file not found: \(url.path) (pass --model PATH, or fetch the default model with scripts/fetch-model.sh)")
    }
    return try LoadedModel.load(path: url, quantize: quantize)
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Writes text to standard output at once (for streaming).
func printFlushed(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// `graft generate`: one prompt in, a streamed continuation out; or, with `--prompts`, a file
/// of prompts generated together in one batch.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate text from a prompt (or a file of prompts, as one batch) with a GGUF model.")

    @OptionGroup var options: ModelSamplingOptions
    @Option(help: "The prompt ('-' reads standard input).") var prompt: String?
    @Option(help: ArgumentHelp("A file of prompts generated together: one per line, or JSON Lines with \"prompt\" or \"messages\" (.jsonl, or a first line starting with '{').",
                               valueName: "file"))
    var prompts: String?
    @Option(help: "A system message (chat template only; with --prompts, for \"prompt\" lines).") var system: String?
    @Flag(help: "Use the prompt as plain text instead of a user message in the chat template.") var noChatTemplate = false

    func validate() throws {
        guard (prompt == nil) != (prompts == nil) else { throw ValidationError("give exactly one of --prompt and --prompts") }
        if noChatTemplate && system != nil { throw ValidationError("--system needs the chat template (drop --no-chat-template)") }
    }

    func run() throws {
        if let prompts {
            try runBatch(file: URL(fileURLWithPath: prompts))
            return
        }
        var text = prompt!
        if text == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        let loaded = try options.load()
        let tokens = try GenerationPrompt.text(text).tokens(loaded, system: system, useChatTemplate: !noChatTemplate)
        let result = try Generator(loaded).generate(prompt: tokens, options: options.generationOptions) { printFlushed($0) }
        printFlushed("\n")
        if options.verbose {
            printError("==========")
            printError(result.statistics.summary)
            printError("Stopped: \(result.finishReason.rawValue)")
        }
    }

    /// Generates for every prompt of `file` together and prints each result as `[index] text`.
    func runBatch(file: URL) throws {
        let entries = try PromptFile.read(file)
        let loaded = try options.load()
        let tokens = try entries.enumerated().map { index, entry in
            do { return try entry.tokens(loaded, system: system, useChatTemplate: !noChatTemplate) } catch {
                throw ModelError.invalidInput("\(file.path): prompt \(index): \(error)")
            }
        }
        let batch = try BatchGenerator(loaded).generate(prompts: tokens, options: options.generationOptions)
        for (index, result) in batch.results.enumerated() {
            printFlushed("[\(index)] \(result.text)\n")
        }
        if options.verbose {
            printError("==========")
            printError(batch.statistics.summary)
            printError("Stopped: " + batch.results.enumerated().map { "[\($0.offset)] \($0.element.finishReason.rawValue)" }
                .joined(separator: ", "))
        }
    }
}
