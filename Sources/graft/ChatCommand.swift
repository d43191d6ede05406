import ArgumentParser
import Foundation
import GraftLM

/// `graft chat`: a conversation in the terminal that keeps its KV cache across turns.
struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a GGUF model (type /reset to start over, /exit or end of input to quit).")

    @OptionGroup var options: ModelSamplingOptions
    @Option(help: "A system message.") var system: String?

    func run() throws {
        let loaded = try options.load()
        let session = try ChatSession(loaded, system: system)
        let interactive = isatty(STDIN_FILENO) != 0
        while true {
            if interactive { printFlushed("> ") }
            guard let line = readLine(strippingNewline: true) else { break }
            let input = line.trimmingCharacters(in: .whitespaces)
            if input.isEmpty { continue }
            if input == "/exit" || input == "/quit" { break }
            if input == "/reset" {
                session.reset()
                printError("(conversation cleared)")
                continue
            }
            do {
                let result = try session.respond(to: input, options: options.generationOptions) { printFlushed($0) }
                printFlushed("\n")
                if options.verbose { printError(result.statistics.summary) }
            } catch {
                printFlushed("\n")
                printError("Error: \(error)")
                if case ModelError.contextOverflow = error { printError("(type /reset to start a new conversation)") }
            }
        }
    }
}
