import ArgumentParser
import Foundation
import GraftLM

/// `graft demo`: trains a small MLP with the engine and prints the falling loss.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Train a two-layer MLP on generated spirals and print the loss.")

    @Option(help: "Training steps.") var steps = 600
    @Option(help: "Hidden units.") var hidden = 128
    @Option(help: "Learning rate (AdamW).") var lr = 1e-2
    @Option(help: "Random seed.") var seed: UInt64 = 0

    func run() throws {
        var demo = MLPDemo()
        demo.steps = steps
        demo.hidden = hidden
        demo.learningRate = lr
        demo.seed = seed
        print("MLP 2→\(hidden)→3 on 3000 spiral points, AdamW lr \(lr), batch \(demo.batchSize)")
        let start = Date()
        demo.run { r in
            print(String(format: "step %4d  loss %.4f  accuracy %5.1f%%", r.step, r.loss, r.accuracy * 100))
        }
        print(String(format: "done in %.2f s", Date().timeIntervalSince(start)))
    }
}
