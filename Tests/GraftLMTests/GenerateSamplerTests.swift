import Foundation
import Graft
import GraftLM
import XCTest

/// Samplers against transformers' logits processors (Fixtures/llama/sampling.json), their
/// distributions, seeding and edge cases.
final class GenerateSamplerTests: XCTestCase {
    struct SamplingFixture: Decodable {
        struct Setting: Decodable {
            let temperature: Double?
            let top_k: Int?
            let top_p: Double?
            let min_p: Double?
            let repetition_penalty: Double?
        }
        struct Case: Decodable {
            let setting: Setting
            let scores: [Float?]
            let probabilities: [Float]
        }
        let logits: [Float]
        let history: [Int32]
        let cases: [Case]
    }

    func fixture() throws -> SamplingFixture {
        let data = try Data(contentsOf: LlamaTestSupport.fixtureDirectory.appendingPathComponent("sampling.json"))
        return try JSONDecoder().decode(SamplingFixture.self, from: data)
    }

    /// transformers applies its warpers only when sampling; a case without a temperature uses 1.
    func parameters(_ s: SamplingFixture.Setting, seed: UInt64 = 0) -> SamplingParameters {
        SamplingParameters(temperature: s.temperature ?? 1, topK: s.top_k ?? 0, topP: s.top_p ?? 1, minP: s.min_p ?? 0,
                           repetitionPenalty: s.repetition_penalty ?? 1, repetitionWindow: 0, seed: seed)
    }

    /// Processed logits equal transformers' (same kept set, same values).
    func testProcessedLogitsMatchTransformers() throws {
        let f = try fixture()
        for c in f.cases {
            let sampler = try Sampler(parameters(c.setting))
            let got = sampler.processedLogits(f.logits, history: f.history)
            for (i, (g, e)) in zip(got, c.scores).enumerated() {
                if let e {
                    XCTAssertEqual(g, e, accuracy: 1e-5 * max(1, abs(e)), "\(c.setting) token \(i)")
                } else {
                    XCTAssertEqual(g, -.infinity, "\(c.setting) token \(i) should be removed")
                }
            }
        }
    }

    /// Drawn tokens follow transformers' probabilities (within 4.5 standard errors for each
    /// token over 20000 draws) and never leave the kept set.
    func testSampleFrequenciesFollowTheProcessedDistribution() throws {
        let f = try fixture()
        let draws = 20_000
        for c in f.cases {
            var sampler = try Sampler(parameters(c.setting, seed: 11))
            var counts = [Int](repeating: 0, count: f.logits.count)
            for _ in 0..<draws { counts[Int(sampler.next(logits: f.logits, history: f.history))] += 1 }
            for (i, p) in c.probabilities.enumerated() {
                let frequency = Double(counts[i]) / Double(draws)
                if p == 0 { XCTAssertEqual(counts[i], 0, "\(c.setting): removed token \(i) was drawn"); continue }
                let sigma = (Double(p) * (1 - Double(p)) / Double(draws)).squareRoot()
                XCTAssertEqual(frequency, Double(p), accuracy: 4.5 * sigma + 1e-9, "\(c.setting) token \(i)")
            }
        }
    }

    func testSeedsReproduceAndDiffer() throws {
        let f = try fixture()
        func run(_ seed: UInt64) throws -> [Int32] {
            var s = try Sampler(SamplingParameters(temperature: 1, seed: seed))
            return (0..<50).map { _ in s.next(logits: f.logits, history: []) }
        }
        XCTAssertEqual(try run(3), try run(3))
        XCTAssertNotEqual(try run(3), try run(4))
    }

    /// Greedy picks the argmax, after the repetition penalty when one is set.
    func testGreedyIsArgmaxAfterPenalty() throws {
        var greedy = try Sampler(.greedy)
        let logits: [Float] = [1, 3, 2.9, -1]
        XCTAssertEqual(greedy.next(logits: logits, history: [1]), 1)
        var penalized = try Sampler(SamplingParameters(repetitionPenalty: 1.5))
        XCTAssertEqual(penalized.next(logits: logits, history: [1]), 2)  // 3 / 1.5 = 2 < 2.9
        XCTAssertEqual(penalized.processedLogits(logits, history: [1, 3, 3]), [1, 2, 2.9, -1.5])
    }

    /// The penalty looks only at the last `repetitionWindow` tokens.
    func testRepetitionWindow() throws {
        let s = try Sampler(SamplingParameters(repetitionPenalty: 2, repetitionWindow: 2))
        XCTAssertEqual(s.processedLogits([4, 4, 4, 4], history: [0, 1, 2, 3]), [4, 4, 2, 2])
        let all = try Sampler(SamplingParameters(repetitionPenalty: 2, repetitionWindow: 0))
        XCTAssertEqual(all.processedLogits([4, 4, 4, 4], history: [0, 1, 2, 3]), [2, 2, 2, 2])
    }

    func testFilterEdgeCases() {
        // top-p keeps the smallest set reaching p: probabilities 0.5, 0.3, 0.2.
        var row: [Float] = [log(0.5), log(0.3), log(0.2)]
        LogitsProcessing.applyTopP(&row, p: 0.75)
        XCTAssertEqual(row.map(\.isFinite), [true, true, false])
        row = [log(0.5), log(0.3), log(0.2)]
        LogitsProcessing.applyTopP(&row, p: 0.5)
        XCTAssertEqual(row.map(\.isFinite), [true, false, false])
        row = [log(0.5), log(0.3), log(0.2)]
        LogitsProcessing.applyTopP(&row, p: 0.01)
        XCTAssertEqual(row.map(\.isFinite), [true, false, false], "the most likely token always stays")
        // top-k larger than the vocabulary, top-p 1 and min-p 0 change nothing; ties at the k-th value stay.
        let base: [Float] = [0.5, 2, 2, -1]
        for transform in [{ LogitsProcessing.applyTopK(&$0, k: 10) }, { LogitsProcessing.applyTopP(&$0, p: 1) },
                          { LogitsProcessing.applyMinP(&$0, minP: 0) }] as [(inout [Float]) -> Void] {
            var r = base
            transform(&r)
            XCTAssertEqual(r, base)
        }
        var tied = base
        LogitsProcessing.applyTopK(&tied, k: 1)
        XCTAssertEqual(tied.map(\.isFinite), [false, true, true, false])
        // min-p: drop tokens below minP × the top probability.
        var m: [Float] = [log(0.6), log(0.3), log(0.1)]
        LogitsProcessing.applyMinP(&m, minP: 0.2)
        XCTAssertEqual(m.map(\.isFinite), [true, true, false])
        // A negative logit under the penalty moves further down, a positive one towards zero.
        var p: [Float] = [2, -2]
        LogitsProcessing.applyRepetitionPenalty(&p, history: [0, 1, 1], penalty: 2)
        XCTAssertEqual(p, [1, -4])
    }

    func testTopKOneIsDeterministic() throws {
        let f = try fixture()
        var s = try Sampler(SamplingParameters(temperature: 1.5, topK: 1, seed: 9))
        let best = Int32(LogitsProcessing.argmax(f.logits))
        for _ in 0..<100 { XCTAssertEqual(s.next(logits: f.logits, history: []), best) }
    }

    func testInvalidParametersAreRefused() {
        let bad = [SamplingParameters(temperature: -1), SamplingParameters(topK: -2), SamplingParameters(topP: 0),
                   SamplingParameters(topP: 1.5), SamplingParameters(minP: 1), SamplingParameters(repetitionPenalty: 0),
                   SamplingParameters(repetitionWindow: -1)]
        for p in bad {
            XCTAssertThrowsError(try Sampler(p)) { error in
                XCTAssertTrue(String(describing: error).contains("invalid sampling parameter"), "\(error)")
            }
        }
    }
}
