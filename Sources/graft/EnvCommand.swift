import ArgumentParser
import Foundation
import GraftLM

/// `graft env`: what Graft runs on, and what to fix when something it needs is missing.
struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Print Graft's version, compiler, CPU and SIMD features, threads, OpenBLAS, HDF5 and the default model.",
        discussion: "Exits with status 1, and a one-line fix for each problem, when something Graft needs is missing.")

    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        let report = try EnvironmentReport.current()
        print(json ? report.json : report.text)
        guard report.problems.isEmpty else {
            if json { for problem in report.problems { printError("\(problem.problem); fix: \(problem.fix)") } }
            throw ExitCode(1)
        }
    }
}
