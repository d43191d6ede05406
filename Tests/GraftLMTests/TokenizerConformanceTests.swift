import Foundation
import GraftLM
import XCTest

/// Compares the Swift tokenizer with the reference tools (transformers for SmolLM2 from the
/// GGUF; the `tokenizers` library for the tiny GPT-2 / Llama-3 / Qwen2 tokenizers) on the
/// committed corpus plus seeded random lines.
final class TokenizerConformanceTests: XCTestCase {
    /// Checks ids (both ways), decoding, round trip, streaming and pieces against `family`.
    private func check(_ tokenizer: BPETokenizer, against familyName: String,
                       checkPieces: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let family = try TokenizerFixtures.family(familyName)
        XCTAssertGreaterThan(family.cases.count, 200, "fixture too small", file: file, line: line)
        var failures: [String] = []
        func fail(_ message: String) { if failures.count < 15 { failures.append(message) } }
        var roundTrips = 0
        for item in family.cases {
            let text = item.text
            let ids = tokenizer.encode(text, addSpecialTokens: true)
            if ids != item.ids { fail("ids \(text.debugDescription): swift \(ids) reference \(item.ids)") }
            let plain = tokenizer.encode(text, addSpecialTokens: false)
            if plain != item.idsNoSpecial {
                fail("ids without special \(text.debugDescription): swift \(plain) reference \(item.idsNoSpecial)")
            }
            let decoded = try tokenizer.decode(item.ids)
            if decoded != item.decoded { fail("decode \(text.debugDescription): \(decoded.debugDescription)") }
            let skipped = try tokenizer.decode(item.ids, skipSpecialTokens: true)
            if skipped != item.decodedSkipSpecial {
                fail("decode skipping specials \(text.debugDescription): \(skipped.debugDescription)")
            }
            // Round trip: exact wherever the reference round-trips exactly.
            if item.decoded == text || item.decodedSkipSpecial == text {
                let back = try tokenizer.decode(plain)
                if back != text { fail("round trip \(text.debugDescription) gave \(back.debugDescription)") }
                roundTrips += 1
            }
            // Streaming equals full decoding, token by token.
            for skip in [false, true] {
                var stream = tokenizer.makeStreamingDetokenizer(skipSpecialTokens: skip)
                var streamed = ""
                for id in item.ids { streamed += try stream.append(id) }
                streamed += stream.finish()
                let full = try tokenizer.decode(item.ids, skipSpecialTokens: skip)
                if streamed != full { fail("streaming \(text.debugDescription) skip \(skip): \(streamed.debugDescription)") }
            }
            if checkPieces {
                let pieces = tokenizer.preTokenizer.split(text)
                if pieces != item.pieces { fail("pieces \(text.debugDescription): swift \(pieces) reference \(item.pieces)") }
            }
        }
        XCTAssertGreaterThan(roundTrips, family.cases.count / 2, file: file, line: line)
        XCTAssert(failures.isEmpty, "\(familyName): \(failures.joined(separator: "\n"))", file: file, line: line)
    }

    func testSmolLM2FromTokenizerJSONMatchesTransformers() throws {
        let tokenizer = try TokenizerFixtures.smolLM2FromTokenizerJSON()
        XCTAssertEqual(tokenizer.vocabularySize, 49152)
        XCTAssertEqual(tokenizer.bosTokenID, 1)
        XCTAssertEqual(tokenizer.eosTokenID, 2)
        XCTAssertEqual(tokenizer.chatTemplate?.hasPrefix("{% for message in messages %}"), true)
        // transformers saves a plain ByteLevel pre-tokenizer for this GGUF (no Digits step).
        XCTAssertEqual(tokenizer.preTokenizer, .gpt2)
        try check(tokenizer, against: "smollm2")
    }

    func testSmolLM2FromGGUFArraysMatchesDigitSplittingReference() throws {
        let tokenizer = try TokenizerFixtures.smolLM2FromGGUFArrays()
        XCTAssertEqual(tokenizer.preTokenizer, .smollm)
        XCTAssertEqual(tokenizer.prefixTokenIDs, [])
        XCTAssertEqual(tokenizer.addedTokens.count, 17)
        XCTAssertTrue(tokenizer.isSpecial(1))
        XCTAssertFalse(tokenizer.isSpecial(17))
        // The reference is the `tokenizers` library with SmolLM2's own pre-tokenizer,
        // Sequence[Digits(individual), ByteLevel] (llama.cpp's "smollm" rule), on the same
        // vocabulary: transformers' GGUF conversion drops the Digits step (see the script).
        try check(tokenizer, against: "smollm2-digits")
    }

    func testSmolLM2DecodesBrokenUTF8LikeTransformers() throws {
        let tokenizer = try TokenizerFixtures.smolLM2FromGGUFArrays()
        let cases = try XCTUnwrap(TokenizerFixtures.family("smollm2").decodeCases)
        XCTAssertGreaterThanOrEqual(cases.count, 8)
        for item in cases {
            XCTAssertEqual(try tokenizer.decode(item.ids), item.decoded, "\(item.ids)")
            XCTAssertEqual(try tokenizer.decode(item.ids, skipSpecialTokens: true), item.decodedSkipSpecial, "\(item.ids)")
            for skip in [false, true] {
                var stream = tokenizer.makeStreamingDetokenizer(skipSpecialTokens: skip)
                var streamed = ""
                var pieces: [String] = []
                for id in item.ids {
                    let piece = try stream.append(id)
                    pieces.append(piece)
                    streamed += piece
                }
                streamed += stream.finish()
                XCTAssertEqual(streamed, try tokenizer.decode(item.ids, skipSpecialTokens: skip), "\(item.ids)")
            }
        }
        // A multi-byte character split over tokens is held back until complete.
        let euro = ["â", "Ĥ", "¬"].map { tokenizer.tokenID(for: $0)! }
        var stream = tokenizer.makeStreamingDetokenizer()
        XCTAssertEqual(try stream.append(euro[0]), "")
        XCTAssertEqual(try stream.append(euro[1]), "")
        XCTAssertEqual(try stream.append(euro[2]), "€")
        XCTAssertEqual(stream.finish(), "")
    }

    func testTinyGPT2MatchesTokenizersLibrary() throws {
        let tokenizer = try TokenizerFixtures.tiny("gpt2")
        XCTAssertEqual(tokenizer.preTokenizer, .gpt2)
        try check(tokenizer, against: "tiny-gpt2")
    }

    func testTinyLlama3MatchesTokenizersLibrary() throws {
        let tokenizer = try TokenizerFixtures.tiny("llama3")
        XCTAssertEqual(tokenizer.preTokenizer, .llama3)
        XCTAssertEqual(tokenizer.prefixTokenIDs, [tokenizer.tokenID(for: "<|begin_of_text|>")!])
        try check(tokenizer, against: "tiny-llama3")
    }

    func testTinyQwen2MatchesTokenizersLibrary() throws {
        let tokenizer = try TokenizerFixtures.tiny("qwen2")
        XCTAssertEqual(tokenizer.preTokenizer, .qwen2)
        XCTAssertTrue(tokenizer.normalizesNFC)
        try check(tokenizer, against: "tiny-qwen2")
    }

    func testSpecialTokensCanBeEncodedAsPlainText() throws {
        let tokenizer = try TokenizerFixtures.smolLM2FromGGUFArrays()
        let text = "<|im_start|>user"
        let parsed = tokenizer.encode(text)
        XCTAssertEqual(parsed.first, 1)
        let literal = tokenizer.encode(text, parseSpecialTokens: false)
        XCTAssertFalse(literal.contains(1))
        XCTAssertEqual(try tokenizer.decode(literal), text)
    }
}
