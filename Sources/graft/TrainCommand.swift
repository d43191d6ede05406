import ArgumentParser
import Foundation
import GraftLM

/// `graft train RECIPE [--set key=value]... [--resume RUN]`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "LoRA fine-tuning from a recipe file (see recipes/README.md).",
        discussion: """
        Continue a stopped run with: graft train --resume checkpoints/RUN. A recipe file or --set given with \
        --resume is compared with the recipe stored in the checkpoint: each changed value is printed as a \
        warning; changes that make another run (seed, batch size, data, alpha, optimizer, base quantization) \
        are refused unless --force, and adapter-shape changes (rank, targets, layers, dora) always.
        """)

    @Argument(help: "The recipe (YAML). Optional with --resume: the checkpoint carries its recipe.")
    var recipe: String?
    @Option(name: .customLong("set"), help: "Override a recipe value, e.g. --set optimizer.lr=2e-4 (repeatable).")
    var overrides: [String] = []
    @Option(help: "Continue from a checkpoint file or run folder (its latest checkpoint).")
    var resume: String?
    @Flag(help: "With --resume: continue although the recipe makes it another run (seed, batch size, data, alpha, optimizer, base model).")
    var force = false

    func validate() throws {
        if recipe == nil && resume == nil { throw ValidationError("give a recipe file, or --resume with a checkpoint") }
        if force && resume == nil { throw ValidationError("--force applies to --resume only") }
    }

    func run() throws {
        do {
            let session = try TrainingSession(recipePath: recipe, overrides: overrides, resume: resume, force: force)
            // Unbuffered, like the progress lines, so the order holds when output is piped.
            printFlushed(session.summary + "\n\n")
            switch try session.trainer.run() {
            case .completed(let step):
                printFlushed("done: \(step) updates; checkpoints, metrics.jsonl and loss.svg in \(session.recipe.checkpoint.dir)\n")
            case .interrupted:
                throw ExitCode(130)
            case .diverged:
                throw ExitCode(3)
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
