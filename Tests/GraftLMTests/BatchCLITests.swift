import Foundation
import XCTest

/// `graft generate --prompts` and `graft bench` through the built binary.
final class BatchCLITests: XCTestCase {
    func testGenerateFromAPromptsFile() throws {
        _ = try LlamaTestSupport.model()
        let france = try LlamaTestSupport.reference().stopAtEOS
        let dir = try LlamaTestSupport.temporaryDirectory(self)
        let file = dir.appendingPathComponent("prompts.jsonl")
        try """
            {"prompt": "\(france.messages![0].content)"}
            {"messages": [{"role": "user", "content": "\(france.messages![0].content)"}]}
            {"prompt": "Write one word."}
            """.write(to: file, atomically: true, encoding: .utf8)
        let run = try GraftCLI.run(["generate", "--model", LlamaTestSupport.modelURL.path, "--prompts", file.path,
                                    "--max-tokens", "16", "--verbose"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "[0] " + france.greedyText)
        XCTAssertTrue(lines.contains("[1] " + france.greedyText), run.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("[2] ") }, run.stdout)
        for part in ["Batch: 3 sequences", "Generation:", "tokens-per-sec", "Peak memory", "[0] stopToken"] {
            XCTAssertTrue(run.stderr.contains(part), "stderr lacks '\(part)': \(run.stderr)")
        }
    }

    func testBadPromptsFileNamesTheLine() throws {
        _ = try LlamaTestSupport.model()
        let dir = try LlamaTestSupport.temporaryDirectory(self)
        let file = dir.appendingPathComponent("prompts.jsonl")
        try "{\"prompt\": \"fine\"}\n{\"prompt\": \n".write(to: file, atomically: true, encoding: .utf8)
        let run = try GraftCLI.run(["generate", "--model", LlamaTestSupport.modelURL.path, "--prompts", file.path])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains(file.path + ":2: invalid JSON"), run.stderr)
        XCTAssertFalse(run.stderr.contains("Fatal error"), run.stderr)
        let both = try GraftCLI.run(["generate", "--prompt", "x", "--prompts", file.path])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("exactly one of --prompt and --prompts"), both.stderr)
    }

    /// The JSON report of a tiny benchmark: every field, counts that add up, sane ranges.
    func testBenchJSONReport() throws {
        _ = try LlamaTestSupport.model()
        let run = try GraftCLI.run(["bench", "--model", LlamaTestSupport.modelURL.path, "--prompt-tokens", "16",
                                    "--gen-tokens", "4", "--batch", "1,2", "--repeat", "1", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let report = try XCTUnwrap(object, run.stdout)
        XCTAssertEqual(report["model"] as? String, LlamaTestSupport.modelURL.path)
        XCTAssertEqual(report["prompt_tokens"] as? Int, 16)
        XCTAssertEqual(report["gen_tokens"] as? Int, 4)
        XCTAssertEqual(report["repeats"] as? Int, 1)
        XCTAssertEqual(report["threads"] as? Int, 2)
        XCTAssertEqual(report["activations"] as? String, "float32")
        XCTAssertEqual(report["kv_cache"] as? String, "float32")
        let results = try XCTUnwrap(report["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["batch"] as? Int }, [1, 2])
        for point in results {
            let batch = try XCTUnwrap(point["batch"] as? Int)
            XCTAssertEqual(point["prompt_tokens"] as? Int, 16 * batch)
            XCTAssertEqual(point["generated_tokens"] as? Int, 4 * batch)
            for key in ["prompt_tokens_per_second", "generation_tokens_per_second", "time_to_first_token_seconds"] {
                let range = try XCTUnwrap(point[key] as? [String: Double], "\(key) in \(point)")
                let (median, low, high) = (range["median"] ?? -1, range["min"] ?? -1, range["max"] ?? -1)
                XCTAssertGreaterThan(low, 0, key)
                XCTAssertTrue(low <= median && median <= high, "\(key): \(range)")
            }
            XCTAssertGreaterThan(point["peak_tensor_bytes"] as? Int ?? 0, 90_000_000)
            XCTAssertGreaterThan(point["peak_resident_bytes"] as? Int ?? 0, 90_000_000)
        }
        XCTAssertNil(results[0]["generation_speedup"] as? [String: Double], "the first batch size is the reference")
        let speedup = try XCTUnwrap(results[1]["generation_speedup"] as? [String: Double], "\(results[1])")
        let rates = try results.map { try XCTUnwrap(($0["generation_tokens_per_second"] as? [String: Double])?["median"]) }
        XCTAssertEqual(speedup["median"] ?? 0, rates[1] / rates[0], accuracy: 1e-9, "one round: the ratio of the two runs")
        XCTAssertTrue(run.stderr.contains("batch 2, run 1/1"), run.stderr)
    }

    func testBenchRefusesBadOptions() throws {
        let run = try GraftCLI.run(["bench", "--batch", "1,x"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("--batch"), run.stderr)
        let short = try GraftCLI.run(["bench", "--gen-tokens", "1"])
        XCTAssertNotEqual(short.status, 0)
        XCTAssertTrue(short.stderr.contains("--gen-tokens"), short.stderr)
    }
}
