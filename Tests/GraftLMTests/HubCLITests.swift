import Foundation
import GraftLM
import XCTest

/// `graft download ORG/NAME` and `graft generate --model ORG/NAME` through the binary, against
/// the local test hub.
final class HubCLITests: XCTestCase {
    typealias Support = HubTestSupport

    func testDownloadThenGenerateFromTheCache() throws {
        let server = try Support.server(self)
        let cache = try Support.temporaryFolder(self)
        let environment = Support.environment(endpoint: server.endpoint, cache: cache)
        let download = try GraftCLI.run(["download", Support.repository, "--include", "*.json", "*.safetensors", "*.jinja"],
                                        environment: environment)
        XCTAssertEqual(download.status, 0, download.stderr)
        let info = try Support.metadata()
        let snapshot = cache.appendingPathComponent("models--graft-test--tiny-llama/snapshots/\(info.sha)")
        XCTAssertEqual(download.stdout, snapshot.path + "\n")
        XCTAssertTrue(download.stderr.contains("downloaded model-00001-of-00003.safetensors"), download.stderr)

        // Offline: generate must find everything in the cache.
        let reference = try HuggingFaceModelSupport.reference().cases["llama_bf16"]!
        let generate = try GraftCLI.run(["generate", "--model", Support.repository, "--prompt", reference.promptText,
                                         "--no-chat-template", "--max-tokens", "2"],
                                        environment: environment.merging(["HF_HUB_OFFLINE": "1"]) { _, new in new })
        XCTAssertEqual(generate.status, 0, generate.stderr)
        let loaded = try LoadedModel.load(path: Support.modelFolder)
        XCTAssertEqual(generate.stdout, try loaded.tokenizer.decode(Array(reference.greedyIDs.prefix(2)), skipSpecialTokens: true) + "\n")
    }

    func testDownloadIncludeSelectsFiles() throws {
        let server = try Support.server(self)
        let cache = try Support.temporaryFolder(self)
        let run = try GraftCLI.run(["download", Support.repository, "--include", "config.json"],
                                   environment: Support.environment(endpoint: server.endpoint, cache: cache))
        XCTAssertEqual(run.status, 0, run.stderr)
        let snapshot = URL(fileURLWithPath: run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: snapshot.path), ["config.json"])
        let none = try GraftCLI.run(["download", Support.repository, "--include", "*.gguf"],
                                    environment: Support.environment(endpoint: server.endpoint, cache: cache))
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("no file of graft-test/tiny-llama matches"), none.stderr)
    }

    func testDownloadOfUnknownRepositoryFailsWithAMessage() throws {
        let server = try Support.server(self)
        let cache = try Support.temporaryFolder(self)
        let run = try GraftCLI.run(["download", "graft-test/missing"], environment: Support.environment(endpoint: server.endpoint, cache: cache))
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("repository graft-test/missing not found"), run.stderr)
    }
}
