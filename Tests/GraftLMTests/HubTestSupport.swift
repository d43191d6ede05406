import Foundation
import GraftIO
import GraftLM
import XCTest

/// A hub test server for the tiny Llama fixture folder, and a fresh temporary HF cache.
enum HubTestSupport {
    static let repository = "graft-test/tiny-llama"

    static var fixtures: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("hub") }

    /// The model folder the server serves.
    static var modelFolder: URL { HuggingFaceModelSupport.folder("llama-bf16") }

    /// The hub's metadata for it (scripts/fixtures/hub.py, hashes from hashlib).
    static func metadata() throws -> HubModelInfo {
        try JSONDecoder().decode(HubModelInfo.self, from: Data(contentsOf: fixtures.appendingPathComponent("llama-bf16.json")))
    }

    /// A running server, stopped after the test.
    static func server(_ test: XCTestCase) throws -> HubTestServer {
        let server = try HubTestServer(repository: repository, folder: modelFolder,
                                       metadata: fixtures.appendingPathComponent("llama-bf16.json"))
        test.addTeardownBlock { server.stop() }
        return server
    }

    /// A temporary folder removed after the test.
    static func temporaryFolder(_ test: XCTestCase) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graft-hub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    /// Environment pointing the hub client at `endpoint` and the cache at `cache`.
    static func environment(endpoint: String, cache: URL, extra: [String: String] = [:]) -> [String: String] {
        ["HF_ENDPOINT": endpoint, "HF_HUB_CACHE": cache.path, "HF_HOME": cache.appendingPathComponent("home").path,
         "PATH": ProcessInfo.processInfo.environment["PATH"] ?? ""].merging(extra) { _, new in new }
    }

    /// `ModelLocator.resolve(repository)` with that environment, silently.
    static func resolve(_ environment: [String: String], repository: String = repository) throws -> URL {
        try ModelLocator.resolve(repository, environment: environment, progress: .silent)
    }

    /// The error `body` throws, as a HubError (failing the test otherwise).
    static func hubError(_ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) -> HubError? {
        do {
            _ = try body()
            XCTFail("no error thrown", file: file, line: line)
        } catch let error as HubError {
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return nil
    }
}
