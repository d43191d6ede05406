import Foundation
import GraftLM
import XCTest

/// The pieces `graft data inspect` prints: length histograms and trained-token segments.
final class DataInspectTests: XCTestCase {
    func testHistogramCoversEveryLengthWithRoundBins() {
        var generator = SeededGenerator(seed: 4)
        let lengths = (0..<500).map { _ in 67 + generator.nextIndex(below: 51) }
        let histogram = LengthHistogram(lengths: lengths, maxBins: 10)
        XCTAssertLessThanOrEqual(histogram.bins.count, 10)
        XCTAssertEqual(histogram.bins.reduce(0) { $0 + $1.count }, 500)
        let width = histogram.bins[0].upper - histogram.bins[0].lower + 1
        XCTAssertTrue([1, 2, 5, 10, 20, 50].contains(width), "width \(width)")
        XCTAssertEqual(histogram.bins[0].lower % width, 0)
        XCTAssertLessThanOrEqual(histogram.bins[0].lower, lengths.min()!)
        XCTAssertGreaterThanOrEqual(histogram.bins.last!.upper, lengths.max()!)
        for (a, b) in zip(histogram.bins, histogram.bins.dropFirst()) { XCTAssertEqual(a.upper + 1, b.lower) }
        for bin in histogram.bins {
            XCTAssertEqual(bin.count, lengths.filter { (bin.lower...bin.upper).contains($0) }.count)
        }
        XCTAssertEqual(LengthHistogram(lengths: []).bins, [])
        XCTAssertEqual(LengthHistogram(lengths: [7, 7]).bins, [LengthHistogram.Bin(lower: 7, upper: 7, count: 2)])
    }

    func testSegmentsSplitTheExampleIntoTrainedAndUntrainedText() throws {
        let tokenizer = try DataTestSupport.smolLM2Tokenizer()
        let encoder = try ExampleEncoder(tokenizer: tokenizer, maskPrompt: true)
        let messages: DatasetRecord = .messages([
            ChatMessage(role: "user", content: "2+2?"), ChatMessage(role: "assistant", content: "4"),
            ChatMessage(role: "user", content: "And 3+3?"), ChatMessage(role: "assistant", content: "6, of course."),
        ])
        let example = try encoder.encode(messages)
        let segments = try example.segments(decodedWith: tokenizer)
        XCTAssertEqual(segments.map(\.text).joined(), try tokenizer.decode(example.tokens))
        XCTAssertEqual(segments.filter(\.trained).map(\.text), ["4<|im_end|>\n", "6, of course.<|im_end|>\n"])
        XCTAssertFalse(segments[0].trained)
        for (a, b) in zip(segments, segments.dropFirst()) { XCTAssertNotEqual(a.trained, b.trained) }
    }
}
