import Foundation
import GraftIO
import GraftLM
import XCTest

/// `--model ORG/NAME`: downloads into the Hugging Face cache layout from a local test hub,
/// reuse of the cache, offline mode, resuming, corruption and error paths.
final class HubDownloadTests: XCTestCase {
    typealias Support = HubTestSupport

    /// Layout: refs/main = commit, snapshots/<commit>/<file> → ../../blobs/<etag>, blobs hold the
    /// fixture bytes, nothing left incomplete; the downloaded model decodes like the original.
    func testFreshDownloadFillsTheHubCacheLayout() throws {
        let server = try Support.server(self)
        let cache = try Support.temporaryFolder(self)
        let snapshot = try Support.resolve(Support.environment(endpoint: server.endpoint, cache: cache))
        let info = try Support.metadata()
        let repositoryFolder = cache.appendingPathComponent("models--graft-test--tiny-llama")
        XCTAssertEqual(snapshot.path, repositoryFolder.appendingPathComponent("snapshots/\(info.sha)").path)
        XCTAssertEqual(try String(contentsOf: repositoryFolder.appendingPathComponent("refs/main"), encoding: .utf8), info.sha)
        for sibling in info.siblings {
            let link = snapshot.appendingPathComponent(sibling.rfilename)
            XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), "../../blobs/\(sibling.etag!)")
            let expected = try Data(contentsOf: Support.modelFolder.appendingPathComponent(sibling.rfilename))
            XCTAssertEqual(try Data(contentsOf: repositoryFolder.appendingPathComponent("blobs/\(sibling.etag!)")), expected)
        }
        let blobs = try FileManager.default.contentsOfDirectory(atPath: repositoryFolder.appendingPathComponent("blobs").path)
        XCTAssertFalse(blobs.contains { $0.hasSuffix(".incomplete") }, "\(blobs)")
        XCTAssertEqual(Set(blobs).count, Set(info.siblings.compactMap(\.etag)).count)
        XCTAssertEqual(server.requests.first?.path, "/api/models/graft-test/tiny-llama/revision/main?blobs=true")

        let reference = try HuggingFaceModelSupport.reference().cases["llama_bf16"]!
        let loaded = try LoadedModel.load(path: snapshot)
        XCTAssertEqual(try HuggingFaceModelSupport.greedy(loaded, prompt: reference.promptIDs, count: reference.greedyIDs.count),
                       reference.greedyIDs)
    }

    /// A complete cached copy is used without contacting the hub (server stopped).
    func testCachedCopyIsReusedWithoutNetwork() throws {
        let server = try Support.server(self)
        let cache = try Support.temporaryFolder(self)
        let environment = Support.environment(endpoint: server.endpoint, cache: cache)
        let first = try Support.resolve(environment)
        let count = server.requests.count
        server.stop()
        XCTAssertEqual(try Support.resolve(environment).path, first.path)
        XCTAssertEqual(server.requests.count, count)
    }

    /// HF_HUB_OFFLINE=1: a clear error and no request without a cached copy; the cached copy with one.
    func testOfflineModeUsesOnlyTheCache() throws {
        let server = try Support.server(self)
        let cache = try Support.temporaryFolder(self)
        let online = Support.environment(endpoint: server.endpoint, cache: cache)
        let offline = online.merging(["HF_HUB_OFFLINE": "1"]) { _, new in new }
        let error = Support.hubError { try Support.resolve(offline) }
        XCTAssertEqual(error?.kind, .offline)
        XCTAssertTrue(error?.message.contains("HF_HUB_OFFLINE is set") == true, error?.message ?? "")
        XCTAssertTrue(error?.message.contains("not in the Hugging Face cache \(cache.path)") == true, error?.message ?? "")
        XCTAssertTrue(server.requests.isEmpty)

        let snapshot = try Support.resolve(online)
        let count = server.requests.count
        XCTAssertEqual(try Support.resolve(offline).path, snapshot.path)
        XCTAssertEqual(server.requests.count, count)
    }

    /// A cached copy missing weights is not used offline; the error names what is missing.
    func testOfflineIncompleteCopyNamesTheMissingFiles() throws {
        let server = try Support.server(self)
        let cache = try Support.temporaryFolder(self)
        let environment = Support.environment(endpoint: server.endpoint, cache: cache)
        let client = HubClient(environment: HubEnvironment(environment), progress: .silent)
        try client.download(HubRepositoryID(Support.repository)!) { $0.hasSuffix(".json") }
        let offline = environment.merging(["HF_HUB_OFFLINE": "1"]) { _, new in new }
        let error = Support.hubError { try Support.resolve(offline) }
        XCTAssertEqual(error?.kind, .offline)
        XCTAssertTrue(error?.message.contains("model-00001-of-00003.safetensors") == true, error?.message ?? "")
        // Online, the rest is fetched and the copy completes.
        let snapshot = try Support.resolve(environment)
        XCTAssertTrue(ModelLocator.missingFiles(in: snapshot).isEmpty)
    }

    /// The connection drops mid-file: the error says the part is kept; the next run asks for the
    /// rest with Range and ends with the right bytes.
    func testInterruptedDownloadResumesWithRange() throws {
        let server = try Support.server(self)
        let cache = try Support.temporaryFolder(self)
        let environment = Support.environment(endpoint: server.endpoint, cache: cache)
        let name = "model-00001-of-00003.safetensors"
        server.dropOnce = name
        let error = Support.hubError { try Support.resolve(environment) }
        XCTAssertEqual(error?.kind, .network)
        XCTAssertTrue(error?.message.contains("resumes") == true, error?.message ?? "")
        let info = try Support.metadata()
        let sibling = info.siblings.first { $0.rfilename == name }!
        let partial = cache.appendingPathComponent("models--graft-test--tiny-llama/blobs/\(sibling.etag!).incomplete")
        let partialSize = try FileManager.default.attributesOfItem(atPath: partial.path)[.size] as! Int
        XCTAssertEqual(partialSize, sibling.contentSize! / 2)

        let snapshot = try Support.resolve(environment)
        let fileRequests = server.requests.filter { $0.path.hasSuffix("/" + name) }
        XCTAssertEqual(fileRequests.count, 2)
        XCTAssertNil(fileRequests[0].headers["range"])
        XCTAssertEqual(fileRequests[1].headers["range"], "bytes=\(partialSize)-")
        XCTAssertEqual(try Data(contentsOf: snapshot.appendingPathComponent(name)),
                       try Data(contentsOf: Support.modelFolder.appendingPathComponent(name)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
    }

    /// A file whose bytes differ from the hub's hash (LFS sha256, or git blob id for a small file)
    /// is refused, deleted, and never linked into the snapshot.
    func testCorruptedFilesAreRejectedAndNotCached() throws {
        let info = try Support.metadata()
        for (name, hashName) in [("model-00002-of-00003.safetensors", "sha256"), ("config.json", "git blob id")] {
            let server = try Support.server(self)
            let cache = try Support.temporaryFolder(self)
            server.corrupted = [name]
            let error = Support.hubError { try Support.resolve(Support.environment(endpoint: server.endpoint, cache: cache)) }
            XCTAssertEqual(error?.kind, .corrupted)
            XCTAssertTrue(error?.message.contains(name) == true && error?.message.contains(hashName) == true, error?.message ?? "")
            let etag = info.siblings.first { $0.rfilename == name }!.etag!
            let blobs = cache.appendingPathComponent("models--graft-test--tiny-llama/blobs")
            XCTAssertFalse(FileManager.default.fileExists(atPath: blobs.appendingPathComponent(etag).path))
            XCTAssertFalse(FileManager.default.fileExists(atPath: blobs.appendingPathComponent(etag + ".incomplete").path))
            let link = cache.appendingPathComponent("models--graft-test--tiny-llama/snapshots/\(info.sha)/\(name)")
            XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: link.path))
        }
    }

    func testUnknownRepositoryIsAClearError() throws {
        let server = try Support.server(self)
        let cache = try Support.temporaryFolder(self)
        let error = Support.hubError {
            try Support.resolve(Support.environment(endpoint: server.endpoint, cache: cache), repository: "graft-test/no-such-model")
        }
        XCTAssertEqual(error?.kind, .notFound)
        XCTAssertTrue(error?.message.contains("graft-test/no-such-model is not a local file or folder") == true, error?.message ?? "")
        XCTAssertTrue(error?.message.contains("HTTP 404") == true, error?.message ?? "")
    }

    func testUnreachableHubIsAClearError() throws {
        let server = try Support.server(self)
        server.stop()
        let cache = try Support.temporaryFolder(self)
        let error = Support.hubError { try Support.resolve(Support.environment(endpoint: server.endpoint, cache: cache)) }
        XCTAssertEqual(error?.kind, .network)
        XCTAssertTrue(error?.message.contains("connection refused") == true, error?.message ?? "")
        XCTAssertTrue(error?.message.contains("127.0.0.1:\(server.port)") == true, error?.message ?? "")
    }

    /// HF_TOKEN goes to the hub as `Authorization: Bearer`, on the API and file requests alike.
    func testTokenIsSentAsBearerHeader() throws {
        let server = try Support.server(self)
        let cache = try Support.temporaryFolder(self)
        _ = try Support.resolve(Support.environment(endpoint: server.endpoint, cache: cache, extra: ["HF_TOKEN": "hf_graft_test"]))
        XCTAssertGreaterThan(server.requests.count, 1)
        for request in server.requests { XCTAssertEqual(request.headers["authorization"], "Bearer hf_graft_test", request.path) }
    }

    /// LFS files redirected to another host (as to the hub's CDN): the token is not sent there,
    /// and a resumed download carries its Range through the redirect.
    func testRedirectKeepsRangeAndDropsTheTokenOnAnotherHost() throws {
        let server = try Support.server(self)
        server.redirectLFS = true
        let name = "model-00003-of-00003.safetensors"
        server.dropOnce = name
        let cache = try Support.temporaryFolder(self)
        let environment = Support.environment(endpoint: server.endpoint, cache: cache, extra: ["HF_TOKEN": "hf_graft_test"])
        XCTAssertEqual(Support.hubError { try Support.resolve(environment) }?.kind, .network)
        let snapshot = try Support.resolve(environment)
        XCTAssertEqual(try Data(contentsOf: snapshot.appendingPathComponent(name)),
                       try Data(contentsOf: Support.modelFolder.appendingPathComponent(name)))
        let cdn = server.requests.filter { $0.path.hasPrefix("/cdn/") }
        XCTAssertEqual(cdn.count, 4, cdn.map(\.path).description)
        for request in cdn { XCTAssertNil(request.headers["authorization"], request.path) }
        for request in server.requests where !request.path.hasPrefix("/cdn/") {
            XCTAssertEqual(request.headers["authorization"], "Bearer hf_graft_test", request.path)
        }
        let resumed = cdn.filter { $0.path.hasSuffix(name) }
        XCTAssertEqual(resumed.count, 2)
        XCTAssertEqual(resumed.last?.headers["range"], "bytes=\(Support.modelFolder.appendingPathComponent(name).fileSize / 2)-")
    }

    /// Without HF_TOKEN, the token file under HF_HOME is used; with neither, no header.
    func testTokenFileAndNoToken() throws {
        let cache = try Support.temporaryFolder(self)
        let home = cache.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        XCTAssertNil(HubEnvironment(Support.environment(endpoint: "http://127.0.0.1:1", cache: cache)).token)
        try Data("hf_from_file\n".utf8).write(to: home.appendingPathComponent("token"))
        XCTAssertEqual(HubEnvironment(Support.environment(endpoint: "http://127.0.0.1:1", cache: cache)).token, "hf_from_file")
    }

    /// Cache folder rules: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub.
    func testCacheFolderFromEnvironment() {
        XCTAssertEqual(HubEnvironment(["HF_HUB_CACHE": "/a/b", "HF_HOME": "/c"]).cacheDirectory.path, "/a/b")
        XCTAssertEqual(HubEnvironment(["HF_HOME": "/c"]).cacheDirectory.path, "/c/hub")
        XCTAssertEqual(HubEnvironment(["HOME": "/h"]).cacheDirectory.path, "/h/.cache/huggingface/hub")
        XCTAssertEqual(HubEnvironment(["HOME": "/h"]).endpoint.absoluteString, "https://huggingface.co")
        XCTAssertTrue(HubEnvironment(["HF_HUB_OFFLINE": "true"]).offline)
        XCTAssertFalse(HubEnvironment(["HF_HUB_OFFLINE": "0"]).offline)
    }

    /// Neither a path nor ORG/NAME: the error says what --model takes, and nothing is contacted.
    func testNeitherPathNorRepository() {
        XCTAssertThrowsError(try ModelLocator.resolve("no/such/model.gguf", environment: [:], progress: .silent)) { error in
            XCTAssertTrue("\(error)".contains("model not found: ") && "\(error)".contains("ORG/NAME"), "\(error)")
        }
        XCTAssertNil(HubRepositoryID("../etc"))
        XCTAssertNil(HubRepositoryID("a/b/c"))
        XCTAssertEqual(HubRepositoryID("HuggingFaceTB/SmolLM2-135M-Instruct")?.cacheFolderName,
                       "models--HuggingFaceTB--SmolLM2-135M-Instruct")
    }
}

extension URL {
    /// The file's size in bytes (0 when unreadable).
    var fileSize: Int { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
}
