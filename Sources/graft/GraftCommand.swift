import ArgumentParser
import GraftLM

@main
struct GraftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graft",
        abstract: "LoRA fine-tuning and generation for large language models on Linux CPUs.",
        subcommands: [DemoCommand.self, DataCommand.self, GenerateCommand.self, ChatCommand.self, TrainCommand.self,
                      FuseCommand.self, ExportAdapterCommand.self, ConvertCommand.self, DownloadCommand.self,
                      EnvCommand.self, BenchCommand.self])
}
