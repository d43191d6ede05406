import Foundation
import GraftIO
import GraftLM
import XCTest

/// Token ids and trained-token masks against transformers' apply_chat_template with mlx-lm's
/// offset rules (Fixtures/data/reference.json from scripts/fixtures/data_reference.py).
final class DataTokenizationTests: XCTestCase {
    private func encoders(_ tokenizer: BPETokenizer, reference: DataTestSupport.Reference,
                          maskPrompt: Bool) throws -> [String: ExampleEncoder] {
        [
            "model": try ExampleEncoder(tokenizer: tokenizer, maskPrompt: maskPrompt),
            "plain": ExampleEncoder(tokenizer: tokenizer,
                                    chatTemplate: try ChatTemplate(source: XCTUnwrap(reference.templates["plain"])),
                                    maskPrompt: maskPrompt),
        ]
    }

    private func assertMatchesReference(_ tokenizer: BPETokenizer, label: String) throws {
        let reference = try DataTestSupport.reference()
        XCTAssertEqual(tokenizer.eosTokenID, reference.eosTokenId)
        XCTAssertGreaterThanOrEqual(reference.cases.count, 40)
        let masked = try encoders(tokenizer, reference: reference, maskPrompt: true)
        let unmasked = try encoders(tokenizer, reference: reference, maskPrompt: false)
        var failures = 0
        for (index, item) in reference.cases.enumerated() {
            let encoder = try XCTUnwrap((item.maskPrompt ? masked : unmasked)[item.template])
            let example = try encoder.encode(try DataTestSupport.record(item), line: index + 1)
            let context = "\(label) case \(index) (\(item.format), template \(item.template), mask \(item.maskPrompt))"
            if example.tokens != item.ids { failures += 1 }
            XCTAssertEqual(example.tokens, item.ids, "ids, \(context)")
            XCTAssertEqual(example.trained.map { $0 ? 1 : 0 }, item.trained, "trained mask, \(context)")
            XCTAssertEqual(example.line, index + 1)
        }
        XCTAssertEqual(failures, 0)
    }

    /// The tokenizer.json fixture (the one the reference used) gives the reference ids and masks.
    func testMatchesReferenceWithTokenizerJSON() throws {
        try assertMatchesReference(DataTestSupport.smolLM2Tokenizer(), label: "tokenizer.json")
    }

    /// The tokenizer built from the real model's GGUF metadata gives the same ids and masks.
    func testMatchesReferenceWithGGUFModel() throws {
        let tokenizer = try BPETokenizer(gguf: GGUFFile(path: DataTestSupport.modelPath()))
        XCTAssertEqual(tokenizer.vocabularySize, 49152)
        XCTAssertNotNil(tokenizer.chatTemplate)
        try assertMatchesReference(tokenizer, label: "GGUF")
    }

    /// Masked cases train a strict subset of the unmasked ones, and always the final EOS.
    func testMaskedCasesTrainLessButIncludeEOS() throws {
        let reference = try DataTestSupport.reference()
        let tokenizer = try DataTestSupport.smolLM2Tokenizer()
        let encoder = try ExampleEncoder(tokenizer: tokenizer, maskPrompt: true)
        for item in reference.cases where item.maskPrompt && item.template == "model" {
            let example = try encoder.encode(DataTestSupport.record(item))
            XCTAssertGreaterThan(example.trainedTokenCount, 0)
            XCTAssertLessThan(example.trainedTokenCount, example.length - 1)
            let lastEOS = try XCTUnwrap(example.tokens.lastIndex(of: reference.eosTokenId))
            XCTAssertTrue(example.trained[lastEOS], "the final end-of-turn token is trained")
        }
    }

    /// Truncation keeps the first max_seq_length ids and flags and counts truncated examples.
    func testTruncationMatchesReference() throws {
        let reference = try DataTestSupport.reference()
        let tokenizer = try DataTestSupport.smolLM2Tokenizer()
        for truncation in reference.truncations {
            let item = reference.cases[truncation.case]
            let encoder = try XCTUnwrap(try encoders(tokenizer, reference: reference, maskPrompt: item.maskPrompt)[item.template])
            let example = try encoder.encode(DataTestSupport.record(item))
            let cut = example.truncated(to: truncation.maxSeqLength)
            XCTAssertEqual(cut.tokens, truncation.ids)
            XCTAssertEqual(cut.trained.map { $0 ? 1 : 0 }, truncation.trained)
            XCTAssertEqual(cut.isTruncated, item.ids.count > truncation.maxSeqLength)
            XCTAssertEqual(cut.untruncatedLength, item.ids.count)

            let split = DatasetSplit(name: "train", format: .text, examples: [example, example.truncated(to: 2)],
                                     maxSequenceLength: truncation.maxSeqLength)
            // The cut copy remembers its original length, so it always counts as truncated.
            XCTAssertEqual(split.truncatedCount, item.ids.count > truncation.maxSeqLength ? 2 : 1)
            XCTAssertEqual(split.examples[0].tokens, truncation.ids)
        }
    }

    /// A prompt longer than the limit leaves an example with nothing to train, and is counted.
    func testTruncationCanRemoveAllTrainedTokens() throws {
        let tokenizer = try DataTestSupport.smolLM2Tokenizer()
        let encoder = try ExampleEncoder(tokenizer: tokenizer, maskPrompt: true)
        let example = try encoder.encode(.completion(prompt: String(repeating: "long prompt ", count: 40), completion: "ok"))
        let split = DatasetSplit(name: "train", format: .completion, examples: [example], maxSequenceLength: 32)
        XCTAssertEqual(split.truncatedCount, 1)
        XCTAssertEqual(split.untrainableCount, 1)
        XCTAssertEqual(split.examples[0].length, 32)
    }

    /// The shipped quickstart dataset: 1000/100/100 prompt/completion records, 60–120 tokens
    /// each after SmolLM2's chat template, every one training on its SQL.
    func testShippedSQLDataset() throws {
        let directory = DataTestSupport.repositoryRoot.appendingPathComponent("data/sql").path
        let tokenizer = try BPETokenizer(gguf: GGUFFile(path: DataTestSupport.modelPath()))
        let dataset = try Dataset(directory: directory, encoder: ExampleEncoder(tokenizer: tokenizer, maskPrompt: true))
        XCTAssertEqual(dataset.train.count, 1000)
        XCTAssertEqual(dataset.valid.count, 100)
        XCTAssertEqual(try XCTUnwrap(dataset.test).count, 100)
        var prompts = Set<String>()
        for split in dataset.splits {
            XCTAssertEqual(split.format, .completion)
            XCTAssertEqual(split.truncatedCount, 0)
            for example in split.examples {
                XCTAssertTrue((60...120).contains(example.length), "\(split.name) line \(example.line): \(example.length) tokens")
                let segments = try example.segments(decodedWith: tokenizer)
                let trainedText = segments.filter(\.trained).map(\.text).joined()
                XCTAssertTrue(trainedText.hasPrefix("SELECT "), "\(split.name) line \(example.line) trains on \(trainedText)")
                XCTAssertTrue(trainedText.hasSuffix(";<|im_end|>\n"), "\(split.name) line \(example.line) trains on \(trainedText)")
            }
            let file = try DatasetFile(path: split.path)
            for located in file.records {
                guard case .completion(let prompt, _) = located.record else { return XCTFail("not a completion record") }
                XCTAssertTrue(prompts.insert(prompt).inserted, "prompt repeated across the splits: \(prompt)")
            }
        }
    }

    /// The GGUF loader refuses a file without tokenizer metadata, naming the key.
    func testGGUFWithoutTokenizerIsRefused() throws {
        let directory = try DataTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("empty.gguf").path
        // A valid GGUF v3 header with no tensors and no metadata.
        var bytes: [UInt8] = Array("GGUF".utf8)
        bytes += [3, 0, 0, 0] + [UInt8](repeating: 0, count: 16)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try BPETokenizer(gguf: GGUFFile(path: path))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("tokenizer.ggml.model") && text.contains(path), text)
        }
    }
}
