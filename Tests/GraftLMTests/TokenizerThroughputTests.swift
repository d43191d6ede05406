import Foundation
import GraftLM
import XCTest

/// Measures encode throughput (reported, not asserted as a speed) and checks that a large
/// text still round-trips and that cached and uncached encodings agree.
final class TokenizerThroughputTests: XCTestCase {
    /// A few MB of text: the file named by GRAFT_TOKENIZER_BENCH_FILE, or else the fixture
    /// corpus lines interleaved with seeded pseudo-random words.
    private func largeText() throws -> String {
        if let path = ProcessInfo.processInfo.environment["GRAFT_TOKENIZER_BENCH_FILE"] {
            return try String(contentsOfFile: path, encoding: .utf8)
        }
        let corpus = try TokenizerFixtures.family("smollm2").cases.filter { $0.decoded == $0.text }.map(\.text)
        let syllables = ["ka", "lo", "mi", "tra", "ven", "sol", "di", "ne", "por", "ex", "qu", "an", "th", "er", "ing"]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var text = ""
        text.reserveCapacity(4 << 20)
        while text.utf8.count < 4 << 20 {
            for _ in 0..<40 {
                var word = ""
                for _ in 0...next(4) { word += syllables[next(syllables.count)] }
                text += (next(10) == 0 ? word.capitalized : word) + (next(12) == 0 ? ", " : " ")
            }
            text += String(next(100_000)) + ". " + corpus[next(corpus.count)] + "\n"
        }
        return text
    }

    func testEncodeThroughputOnLargeText() throws {
        let tokenizer = try TokenizerFixtures.smolLM2FromGGUFArrays()
        let text = try largeText()
        let megabytes = Double(text.utf8.count) / 1_000_000
        let cold = Date()
        let ids = tokenizer.encode(text, addSpecialTokens: false)
        let coldSeconds = Date().timeIntervalSince(cold)
        let warm = Date()
        let again = tokenizer.encode(text, addSpecialTokens: false)
        let warmSeconds = Date().timeIntervalSince(warm)
        let decodeStart = Date()
        let decoded = try tokenizer.decode(ids)
        let decodeSeconds = Date().timeIntervalSince(decodeStart)
        print(String(format: "tokenizer throughput: %.2f MB, %d tokens; encode %.1f MB/s (first pass), %.1f MB/s (warm cache); decode %.1f MB/s",
                     megabytes, ids.count, megabytes / coldSeconds, megabytes / warmSeconds, megabytes / decodeSeconds))
        XCTAssertEqual(ids, again)
        // Optional: reference ids for the bench file (a JSON array written by the reference tool).
        if let path = ProcessInfo.processInfo.environment["GRAFT_TOKENIZER_BENCH_IDS"] {
            let reference = try JSONDecoder().decode([Int32].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            let firstDifference = zip(ids, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            XCTAssertEqual(ids.count, reference.count)
            XCTAssertNil(firstDifference, "ids differ from the reference at token \(firstDifference ?? -1)")
            print("tokenizer bench: \(ids.count) ids compared with \(path)")
        }
        if ProcessInfo.processInfo.environment["GRAFT_TOKENIZER_BENCH_FILE"] == nil {
            // The synthesized text holds only characters the vocabulary can spell.
            XCTAssertEqual(decoded, text)
        }
        // Piece by piece through a fresh tokenizer (its own empty cache) gives the same ids.
        let fresh = try TokenizerFixtures.smolLM2FromGGUFArrays()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(200)
        XCTAssertEqual(fresh.encode(lines.joined(separator: "\n"), addSpecialTokens: false),
                       Array(ids.prefix(fresh.encode(lines.joined(separator: "\n"), addSpecialTokens: false).count)))
    }

    func testLongPieceWithoutBreaksIsFast() throws {
        // One 200 000-byte piece (no spaces) exercises the heap-based merge loop.
        let tokenizer = try TokenizerFixtures.smolLM2FromGGUFArrays()
        let text = String(repeating: "abcdefghij", count: 20_000)
        let start = Date()
        let ids = tokenizer.encode(text, addSpecialTokens: false)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(try tokenizer.decode(ids), text)
        XCTAssertLessThan(seconds, 5, "merging one long piece took \(seconds) s")
    }
}
