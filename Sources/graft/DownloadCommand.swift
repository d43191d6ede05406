import ArgumentParser
import Foundation
import GraftIO
import GraftLM
#if canImport(Glibc)
import Glibc
#endif

/// `graft download ORG/NAME`: fetches a Hugging Face Hub repository into the standard hub cache.
struct DownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download a Hugging Face Hub model repository into the Hugging Face cache.",
        discussion: """
            Files go to $HF_HUB_CACHE (else $HF_HOME/hub, else ~/.cache/huggingface/hub) in the layout the Python \
            tools share; interrupted downloads resume, and every file's size and hash are checked. HF_ENDPOINT, \
            HF_TOKEN and HF_HUB_OFFLINE are honoured. Prints the snapshot folder, which --model also accepts.
            """)

    @Argument(help: "The repository, ORG/NAME.") var repository: String
    @Option(name: .customLong("include"), parsing: .upToNextOption,
            help: "Only files whose path matches one of these shell patterns (e.g. '*.json' '*.safetensors'); default: all.")
    var patterns: [String] = []

    func run() throws {
        guard let id = HubRepositoryID(repository) else {
            throw ValidationError("'\(repository)' is not a repository name ORG/NAME")
        }
        let client = HubClient()
        let info = try client.modelInfo(id)
        let matches = info.siblings.map(\.rfilename).filter(included)
        guard !matches.isEmpty else {
            throw ValidationError("no file of \(id) matches --include \(patterns.joined(separator: " ")) "
                + "(it has: \(info.siblings.prefix(10).map(\.rfilename).joined(separator: ", ")))")
        }
        let snapshot = try client.download(id, info: info, include: included)
        printError("\(id): \(matches.count) files at commit \(info.sha)")
        print(snapshot.path)
    }

    /// Whether `path` matches one of the patterns (fnmatch, `*` also matching `/`), or there are none.
    func included(_ path: String) -> Bool {
        patterns.isEmpty || patterns.contains { fnmatch($0, path, 0) == 0 }
    }
}
