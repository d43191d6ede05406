import Foundation
import Graft
import GraftLM
import XCTest

/// The generator and chat session on the real model, against transformers' greedy output.
final class GenerateTests: XCTestCase {
    override func setUp() {
        super.setUp()
        Parallel.setThreads(2)
    }

    /// formats.md §8.4 end to end: "The capital of France is Paris." then EOS, as transformers
    /// generates it; the streamed pieces add up to the text.
    func testGreedyChatStopsAtEOSLikeTransformers() throws {
        let loaded = try LlamaTestSupport.model()
        let c = try LlamaTestSupport.reference().stopAtEOS
        let prompt = try loaded.chatTokens(c.chatMessages)
        XCTAssertEqual(prompt, c.promptIDs)
        var streamed: [String] = []
        let alreadyAlive = Allocator.activeBytes  // models other tests of this process keep loaded
        let result = try Generator(loaded).generate(prompt: prompt, options: GenerationOptions(maxTokens: 64)) { streamed.append($0) }
        XCTAssertEqual(result.tokens, c.greedyIDs)
        XCTAssertEqual(result.finishReason, .stopToken)
        XCTAssertEqual(result.text, c.greedyText)
        XCTAssertEqual(streamed.joined(), result.text)
        XCTAssertGreaterThan(streamed.count, 1)
        let s = result.statistics
        XCTAssertEqual(s.promptTokens, prompt.count)
        XCTAssertEqual(s.generatedTokens, c.greedyIDs.count)
        XCTAssertEqual(s.decodeSteps, c.greedyIDs.count - 1)
        XCTAssertGreaterThan(s.promptTokensPerSecond, 0)
        XCTAssertGreaterThan(s.decodeTokensPerSecond, 0)
        // The weights stay packed (Q4_1 / Q8_0 groups, ~100 MB; float32 copies would be 538 MB),
        // and generation itself (KV cache, activations, the head's logits) needs little more.
        XCTAssertGreaterThan(loaded.model.baseByteCount, 90_000_000)
        XCTAssertLessThan(loaded.model.baseByteCount, 150_000_000)
        XCTAssertGreaterThanOrEqual(s.peakTensorBytes, alreadyAlive)
        XCTAssertLessThan(s.peakTensorBytes - alreadyAlive, 100_000_000)
        XCTAssertGreaterThanOrEqual(s.peakResidentBytes ?? 0, s.peakTensorBytes / 2)
        print("france: \(s.summary)")
    }

    /// The token budget ends generation with the reference's first tokens.
    func testMaxTokensStopsEarly() throws {
        let loaded = try LlamaTestSupport.model()
        let c = try LlamaTestSupport.reference().cases[2]
        let result = try Generator(loaded).generate(prompt: c.promptIDs, options: GenerationOptions(maxTokens: 10))
        XCTAssertEqual(result.tokens, Array(c.greedyIDs.prefix(10)))
        XCTAssertEqual(result.finishReason, .maxTokens)
        XCTAssertEqual(result.text, try loaded.tokenizer.decode(result.tokens, skipSpecialTokens: true))
        let none = try Generator(loaded).generate(prompt: c.promptIDs, options: GenerationOptions(maxTokens: 0))
        XCTAssertEqual(none.tokens, [])
    }

    /// A seeded sampled generation is reproducible.
    func testSeededSamplingIsReproducible() throws {
        let loaded = try LlamaTestSupport.model()
        let prompt = loaded.textTokens("Once upon a time")
        let sampling = SamplingParameters(temperature: 0.9, topK: 40, topP: 0.95, minP: 0.02, repetitionPenalty: 1.1, seed: 42)
        let options = GenerationOptions(maxTokens: 12, sampling: sampling)
        let a = try Generator(loaded).generate(prompt: prompt, options: options)
        let b = try Generator(loaded).generate(prompt: prompt, options: options)
        XCTAssertEqual(a.tokens, b.tokens)
        XCTAssertEqual(a.tokens.count, 12)
    }

    func testPromptLongerThanContextIsRefused() throws {
        let loaded = try LlamaTestSupport.model()
        let prompt = [Int32](repeating: 28, count: loaded.model.config.contextLength + 5)
        XCTAssertThrowsError(try Generator(loaded).generate(prompt: prompt)) { error in
            XCTAssertEqual(error as? ModelError, .contextOverflow(tokens: 8197, contextLength: 8192))
            XCTAssertTrue(String(describing: error).contains("8192"))
        }
        XCTAssertThrowsError(try Generator(loaded).generate(prompt: [])) { error in
            XCTAssertTrue(String(describing: error).contains("empty"))
        }
        XCTAssertThrowsError(try Generator(loaded).generate(prompt: [1, 70_000])) { error in
            XCTAssertTrue(String(describing: error).contains("70000"), "\(error)")
        }
    }

    /// A second chat turn reuses the cached conversation and answers exactly as a fresh
    /// generation over the whole re-rendered conversation.
    func testChatSessionReusesTheCacheAcrossTurns() throws {
        let loaded = try LlamaTestSupport.model()
        let session = try ChatSession(loaded, system: "Be brief.")
        let options = GenerationOptions(maxTokens: 12)
        let first = try session.respond(to: "What is the capital of France?", options: options)
        XCTAssertEqual(first.statistics.reusedPromptTokens, 0)
        let second = try session.respond(to: "And of Italy?", options: options)
        let conversation = session.messages
        XCTAssertEqual(conversation.map(\.role), ["system", "user", "assistant", "user", "assistant"])
        let fullPrompt = try loaded.chatTokens(Array(conversation.prefix(4)))
        XCTAssertGreaterThan(second.statistics.reusedPromptTokens, first.statistics.promptTokens)
        XCTAssertEqual(second.statistics.reusedPromptTokens + second.statistics.promptTokens, fullPrompt.count)
        let fresh = try Generator(loaded).generate(prompt: fullPrompt, options: options)
        XCTAssertEqual(second.tokens, fresh.tokens)
        XCTAssertEqual(second.text, fresh.text)
        session.reset()
        XCTAssertEqual(session.cachedLength, 0)
        XCTAssertEqual(session.messages.map(\.role), ["system"])
    }
}
