import Foundation
import Graft
import GraftLM
import XCTest

/// SmolLM2-135M-Instruct from the project's GGUF against transformers (float32, dequantized
/// from the same file): prompt ids, logits, greedy continuations, intermediate states, the KV
/// cache, and the RoPE convention.
final class LlamaForwardTests: XCTestCase {
    override func setUp() {
        super.setUp()
        Parallel.setThreads(2)
    }

    /// Prompt ids of every case come out of Graft's template + tokenizer exactly as transformers'.
    func testPromptIDsMatchTransformers() throws {
        let loaded = try LlamaTestSupport.model()
        let reference = try LlamaTestSupport.reference()
        for c in reference.cases + [reference.stopAtEOS] {
            let ids = c.kind == "chat" ? try loaded.chatTokens(c.chatMessages) : loaded.textTokens(c.text!)
            XCTAssertEqual(ids, c.promptIDs, c.name)
            if c.kind == "chat" { XCTAssertEqual(try loaded.renderChat(c.chatMessages), c.promptText, c.name) }
        }
    }

    /// Last-position logits within 1e-3 of transformers' (max |Δ| / max |logit|), same top 5.
    func testLastPositionLogitsMatchTransformers() throws {
        let loaded = try LlamaTestSupport.model()
        for c in try LlamaTestSupport.reference().cases {
            let expected = try LlamaTestSupport.floats(c.logitsFile!)
            XCTAssertEqual(expected.count, loaded.model.config.vocabularySize)
            let logits = try loaded.model.step(c.promptIDs, cache: KVCache(layerCount: loaded.model.config.layerCount))
                .toArray(as: Float.self)
            let error = LlamaTestSupport.relativeError(logits, expected)
            XCTAssertLessThan(error, 1e-3, "\(c.name): relative logit error \(error)")
            let top5 = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5).map(Int32.init)
            XCTAssertEqual(Array(top5), c.top5IDs, c.name)
        }
    }

    /// Greedy decoding with the KV cache: 64 new ids identical to transformers' for every prompt
    /// (argmax at every step, continuing through EOS).
    func testGreedyIDsMatchTransformers() throws {
        let loaded = try LlamaTestSupport.model()
        let reference = try LlamaTestSupport.reference()
        for c in reference.cases {
            let cache = KVCache(layerCount: loaded.model.config.layerCount)
            var logits = try loaded.model.step(c.promptIDs, cache: cache)
            var ids: [Int32] = []
            for _ in 0..<reference.newTokens {
                let next = Int32(logits.argmax(axis: -1).item(Int32.self))
                ids.append(next)
                if ids.count == reference.newTokens { break }
                logits = try loaded.model.step([next], cache: cache)
            }
            let text = try loaded.tokenizer.decode(ids)
            XCTAssertEqual(ids, c.greedyIDs, "\(c.name): Graft wrote \(text.debugDescription)")
        }
    }

    /// The embedding output and the residual stream after layers 0 and 15 (first 8 values of
    /// every position) match transformers' hidden_states.
    func testIntermediateStatesMatchTransformers() throws {
        let loaded = try LlamaTestSupport.model()
        let r = try LlamaTestSupport.reference().intermediates
        XCTAssertEqual(loaded.textTokens(r.text), r.ids)
        let tokens = Tensor(r.ids, shape: [1, r.ids.count])
        for (layers, expected, tolerance) in [(0, r.embeddingFirst8, Float(1e-6)), (1, r.afterLayer0First8, 1e-4),
                                              (16, r.afterLayer15First8, 1e-3)] {
            let hidden = loaded.model.hiddenStates(tokens, layerLimit: layers)
            XCTAssertEqual(hidden.shape, [1, r.ids.count, loaded.model.config.hiddenSize])
            let got = hidden.slice(start: [0, 0, 0], stop: [1, r.ids.count, 8]).toArray(as: Float.self)
            let error = LlamaTestSupport.relativeError(got, expected.flatMap { $0 })
            XCTAssertLessThan(error, tolerance, "after \(layers) layers: relative error \(error)")
        }
        let last = loaded.model.logits(tokens).slice(start: [0, r.ids.count - 1, 0], stop: [1, r.ids.count, 8])
        XCTAssertLessThan(LlamaTestSupport.relativeError(last.toArray(as: Float.self), r.lastLogitsFirst8), 1e-3)
    }

    /// Decoding one token at a time through the cache gives the logits of a full forward pass
    /// over the same tokens (1e-4 relative, every position).
    func testKVCacheDecodingMatchesFullForward() throws {
        let loaded = try LlamaTestSupport.model()
        let c = try LlamaTestSupport.reference().cases[0]
        let tokens = c.promptIDs + c.greedyIDs.prefix(12)
        let model = loaded.model
        let full = model.logits(Tensor(tokens, shape: [1, tokens.count]))
        eval(full)
        let cache = KVCache(layerCount: model.config.layerCount)
        let split = c.promptIDs.count
        let prefill = try model.step(Array(tokens[..<split]), cache: cache, lastPositionOnly: false)
        XCTAssertEqual(cache.length, split)
        var rows: [[Float]] = (0..<split).map { prefill.slice(axis: 0, $0..<($0 + 1)).toArray(as: Float.self) }
        for t in tokens[split...] { rows.append(try model.step([t], cache: cache).toArray(as: Float.self)) }
        XCTAssertEqual(cache.length, tokens.count)
        for (position, row) in rows.enumerated() {
            let expected = full.slice(axis: 1, position..<(position + 1)).toArray(as: Float.self)
            let error = LlamaTestSupport.relativeError(row, expected)
            XCTAssertLessThan(error, 1e-4, "position \(position): relative error \(error)")
        }
        // Truncating the cache and re-running the tail reproduces the same logits.
        cache.truncate(to: split)
        let again = try model.step(Array(tokens[split...]), cache: cache, lastPositionOnly: true).toArray(as: Float.self)
        XCTAssertLessThan(LlamaTestSupport.relativeError(again, rows.last!), 1e-4)
    }

    /// The proof of the RoPE convention (formats.md §1.10): the GGUF's q/k rows with adjacent-pair
    /// RoPE, and the same rows un-permuted to Hugging Face order with half-split RoPE, give the
    /// same logits; the GGUF rows with half-split RoPE do not.
    func testRoPEConventionMatchesGGUFRowOrder() throws {
        let loaded = try LlamaTestSupport.denseModel()
        let model = loaded.model
        let c = try LlamaTestSupport.reference().cases[1]
        let expected = try LlamaTestSupport.floats(c.logitsFile!)
        func lastLogits(_ m: LlamaModel) throws -> [Float] {
            try m.step(c.promptIDs, cache: KVCache(layerCount: m.config.layerCount)).toArray(as: Float.self)
        }
        // HF row h·hd + s·half + i comes from GGUF row h·hd + 2i + s.
        func unpermute(_ w: Tensor, heads: Int) -> Tensor {
            let hd = model.config.headDimension, half = hd / 2
            var rows = [Int32](repeating: 0, count: heads * hd)
            for h in 0..<heads { for s in 0..<2 { for i in 0..<half { rows[h * hd + s * half + i] = Int32(h * hd + 2 * i + s) } } }
            let out = w.take(Tensor(rows), axis: 0)
            eval(out)
            return out
        }
        var tree = model.parameters
        for layer in 0..<model.config.layerCount {
            let p = "model.layers.\(layer).self_attn."
            tree[p + "q_proj.weight"] = unpermute(tree[p + "q_proj.weight"]!, heads: model.config.attentionHeadCount)
            tree[p + "k_proj.weight"] = unpermute(tree[p + "k_proj.weight"]!, heads: model.config.keyValueHeadCount)
        }
        let huggingFaceOrder = try LlamaModel(config: model.config, parameters: tree, ropeConvention: .halfSplit)
        let wrongConvention = try LlamaModel(config: model.config, parameters: model.parameters, ropeConvention: .halfSplit)
        let right = try lastLogits(model)
        XCTAssertLessThan(LlamaTestSupport.relativeError(right, expected), 1e-3)
        XCTAssertLessThan(LlamaTestSupport.relativeError(try lastLogits(huggingFaceOrder), right), 1e-5)
        XCTAssertGreaterThan(LlamaTestSupport.relativeError(try lastLogits(wrongConvention), expected), 0.05)
    }
}
