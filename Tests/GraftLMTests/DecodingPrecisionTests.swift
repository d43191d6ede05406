import Foundation
import Graft
import GraftLM
import XCTest

/// Decoding with reduced precision on the real model: the blocks' activations rounded to 8 bits
/// (`decodingActivations = .int8`, the rounding llama.cpp applies inside its quantized
/// products) and a float16 KV cache (`kvCacheType`, llama.cpp's default cache type). Along
/// llama.cpp's own greedy continuations (fixtures of LlamaCppInteropTests) each lands as close
/// to llama.cpp's logits as exact float32 arithmetic (transformers) does, and batched decoding
/// with int8 activations stays near each sequence decoded alone.
final class DecodingPrecisionTests: XCTestCase {
    override func setUp() {
        super.setUp()
        Parallel.setThreads(2)
    }

    /// Logits at every step of `c`'s tool path, decoding one token per pass (so every product
    /// runs in the decoding kernel, where the rounding happens).
    func logitsDecodingOneByOne(_ c: GreedyReference.Case, model: LlamaModel) throws -> [[Float]] {
        let cache = KVCache(layerCount: model.config.layerCount, dtype: model.kvCacheType)
        var rows: [[Float]] = []
        for (position, token) in (c.promptIDs + c.greedyIDs.dropLast()).enumerated() {
            let logits = try model.step([token], cache: cache)
            if position >= c.promptIDs.count - 1 { rows.append(logits.toArray(as: Float.self)) }
        }
        return rows
    }

    func testInt8DecodingIsAsCloseToLlamaCppAsFloat32() throws {
        try XCTSkipUnless(ActivationPrecision.int8Available, "no AVX-512 VNNI on this CPU")
        let loaded = try LlamaTestSupport.model()
        let reference = try LlamaCppReference.load()
        var rounded = loaded.model
        rounded.decodingActivations = .int8
        for c in reference.base {
            let float32 = try XCTUnwrap(c.float32Distance)
            let exactLogits = try logitsDecodingOneByOne(c, model: loaded.model)
            let roundedLogits = try logitsDecodingOneByOne(c, model: rounded)
            let exact = GreedyReference.compare(c, graftLogits: exactLogits)
            let int8 = GreedyReference.compare(c, graftLogits: roundedLogits)
            print("\(c.name): |Δlogit| to llama.cpp along its path: transformers max \(float32.maxAbs) mean \(float32.meanAbs); Graft float32 max \(exact.maxLogitDifference) mean \(exact.meanLogitDifference); int8 max \(int8.maxLogitDifference) mean \(int8.meanLogitDifference); int8 argmax differs at \(int8.disagreements.map(\.step))")
            // Measured: int8 max within +0.11 and mean within +0.03 of transformers' distance
            // (float32 decoding: within 1e-3); sometimes closer.
            XCTAssertLessThan(int8.maxLogitDifference, float32.maxAbs + 0.25, c.name)
            XCTAssertLessThan(int8.meanLogitDifference, float32.meanAbs + 0.05, c.name)
            for d in int8.disagreements {
                XCTAssertLessThan(d.toolMargin ?? .infinity, LlamaCppInteropTests.tieMargin,
                                  "\(c.name): at step \(d.step) int8 decoding prefers \(d.graft) over llama.cpp's \(d.tool) without a near tie")
            }
            // The rounding did happen.
            let moved = zip(exactLogits.joined(), roundedLogits.joined()).map { abs($0 - $1) }.max()!
            XCTAssertGreaterThan(moved, 0.01, c.name)
        }
    }

    /// A float16 KV cache (and both reductions together) along llama.cpp's paths, as above.
    func testFloat16CacheIsAsCloseToLlamaCppAsFloat32() throws {
        let loaded = try LlamaTestSupport.model()
        let reference = try LlamaCppReference.load()
        var half = loaded.model
        half.kvCacheType = .float16
        var both = half
        both.decodingActivations = .int8
        for c in reference.base {
            let float32 = try XCTUnwrap(c.float32Distance)
            let exactLogits = try logitsDecodingOneByOne(c, model: loaded.model)
            // Slack over transformers' distance (max, mean); measured: float16 cache +0.007 and
            // +0.0004, with int8 activations too +0.37 and +0.035 (france).
            for (label, model, slack) in [("float16 cache", half, (Float(0.05), Float(0.01))),
                                          ("float16 cache + int8", both, (0.45, 0.06))] {
                if model.decodingActivations == .int8 && !ActivationPrecision.int8Available { continue }
                let logits = try logitsDecodingOneByOne(c, model: model)
                let path = GreedyReference.compare(c, graftLogits: logits)
                print("\(c.name), \(label): |Δlogit| to llama.cpp max \(path.maxLogitDifference) mean \(path.meanLogitDifference) (transformers \(float32.maxAbs), \(float32.meanAbs)); argmax differs at \(path.disagreements.map(\.step))")
                XCTAssertLessThan(path.maxLogitDifference, float32.maxAbs + slack.0, "\(c.name), \(label)")
                XCTAssertLessThan(path.meanLogitDifference, float32.meanAbs + slack.1, "\(c.name), \(label)")
                for d in path.disagreements {
                    XCTAssertLessThan(d.toolMargin ?? .infinity, LlamaCppInteropTests.tieMargin, "\(c.name), \(label): step \(d.step)")
                }
                let moved = zip(exactLogits.joined(), logits.joined()).map { abs($0 - $1) }.max()!
                XCTAssertGreaterThan(moved, 1e-4, "\(c.name), \(label): the cache must hold rounded values")
            }
        }
        let cache = KVCache(layerCount: half.config.layerCount, dtype: .float16)
        _ = try half.step([1, 2, 3], cache: cache)
        let wide = KVCache(layerCount: half.config.layerCount)
        _ = try loaded.model.step([1, 2, 3], cache: wide)
        XCTAssertEqual(cache.byteCount * 2, wide.byteCount)
        XCTAssertTrue(cache.state.allSatisfy { $0.dtype == .float16 })
    }

    /// A ragged batch of four decoded with int8 activations, teacher-forced along transformers'
    /// greedy ids: at every step each row's logits stay within 5% of the largest |logit| of its
    /// batch-1 run (measured: 2.8%, the size of the rounding's own effect; float32 decoding:
    /// within 1e-4, measured 3e-6; rows mixed up would differ by far more). Each activation row is
    /// rounded on its own, but the float kernels around the products sum in another order for
    /// another block of rows, and a last-bit difference that moves a value across a rounding
    /// boundary changes it by a whole step, which then spreads; free-running greedy ids part
    /// at the first near tie.
    func testBatchStaysNearSingleSequences() throws {
        try XCTSkipUnless(ActivationPrecision.int8Available, "no AVX-512 VNNI on this CPU")
        var model = try LlamaTestSupport.model().model
        let reference = try LlamaTestSupport.reference()
        let cases = reference.cases + [reference.stopAtEOS]
        let steps = cases.map(\.greedyIDs.count).min()! - 1  // 7: "france" ends at EOS after 8
        let vocabulary = model.config.vocabularySize
        for (activations, bound) in [(ActivationPrecision.float32, Float(1e-4)), (.int8, 0.05)] {
            model.decodingActivations = activations
            let batchCache = KVCache(layerCount: model.config.layerCount, batchSize: cases.count)
            var batchLogits = [try model.step(rows: cases.map(\.promptIDs), cache: batchCache).toArray(as: Float.self)]
            for s in 0..<steps {
                batchLogits.append(try model.step(rows: cases.map { [$0.greedyIDs[s]] }, cache: batchCache).toArray(as: Float.self))
            }
            var worst: Float = 0
            for (row, c) in cases.enumerated() {
                let cache = KVCache(layerCount: model.config.layerCount)
                var alone = [try model.step(c.promptIDs, cache: cache).toArray(as: Float.self)]
                for s in 0..<steps { alone.append(try model.step([c.greedyIDs[s]], cache: cache).toArray(as: Float.self)) }
                for (s, expected) in alone.enumerated() {
                    let got = batchLogits[s][(row * vocabulary)..<((row + 1) * vocabulary)]
                    let scale = expected.map { abs($0) }.max()!
                    let difference = zip(got, expected).map { abs($0 - $1) }.max()!
                    worst = max(worst, difference / scale)
                    XCTAssertLessThan(difference, bound * scale, "\(activations): \(c.name), step \(s)")
                }
            }
            print("\(activations): batch of \(cases.count) against batch-1 runs, largest |Δlogit| / max |logit| \(worst)")
        }
    }
}
