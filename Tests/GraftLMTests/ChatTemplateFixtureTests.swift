import Foundation
import GraftLM
import XCTest

/// Renders real model chat templates and single-feature templates, comparing byte for byte with
/// transformers' own rendering (fixtures from scripts/fixtures/chat_templates.py).
final class ChatTemplateFixtureTests: XCTestCase {
    func testModelTemplatesMatchTransformers() throws {
        let cases = try ChatTemplateFixtures.cases("conversations.json")
        XCTAssertGreaterThanOrEqual(cases.count, 60)
        var templates: [String: ChatTemplate] = [:]
        var checkedPerTemplate: [String: Int] = [:]
        for testCase in cases {
            let file = ChatTemplateFixtures.string("template", of: testCase)
            if templates[file] == nil { templates[file] = try ChatTemplate(source: try ChatTemplateFixtures.text(file)) }
            let template = templates[file]!
            let addGenerationPrompt: Bool
            if case .bool(let flag)? = testCase["add_generation_prompt"] { addGenerationPrompt = flag } else {
                addGenerationPrompt = false
            }
            let label = "\(file) / \(ChatTemplateFixtures.string("name", of: testCase)) / gen=\(addGenerationPrompt)"
            ChatTemplateFixtures.check(testCase, label: label) {
                try template.render(
                    messages: ChatTemplateFixtures.messages(testCase["messages"]),
                    addGenerationPrompt: addGenerationPrompt,
                    bosToken: ChatTemplateFixtures.string("bos_token", of: testCase),
                    eosToken: ChatTemplateFixtures.string("eos_token", of: testCase),
                    extraContext: ChatTemplateFixtures.context(testCase["extra_context"]))
            }
            checkedPerTemplate[file, default: 0] += 1
        }
        XCTAssertEqual(Set(checkedPerTemplate.keys), [
            "smollm2-instruct.jinja", "qwen2.5-instruct.jinja", "llama-3.2-instruct.jinja",
            "mistral-7b-instruct-v0.3.jinja",
        ])
    }

    func testSingleFeaturesMatchTransformers() throws {
        let cases = try ChatTemplateFixtures.cases("features.json")
        XCTAssertGreaterThanOrEqual(cases.count, 50)
        for testCase in cases {
            let name = ChatTemplateFixtures.string("name", of: testCase)
            let source = ChatTemplateFixtures.string("template", of: testCase)
            ChatTemplateFixtures.check(testCase, label: name) {
                try ChatTemplate(source: source).render(context: ChatTemplateFixtures.context(testCase["context"]))
            }
        }
    }

    /// formats.md 8.2: the SmolLM2 template inserts its default system prompt and appends the
    /// generation prompt; the template text is the one stored in the GGUF.
    func testSmolLM2DefaultSystemPrompt() throws {
        let template = try ChatTemplate(source: try ChatTemplateFixtures.text("smollm2-instruct.jinja"))
        let rendered = try template.render(
            messages: [ChatMessage(role: "user", content: "What is the capital of France?")],
            addGenerationPrompt: true, bosToken: "<|im_start|>", eosToken: "<|im_end|>")
        let cases = try ChatTemplateFixtures.cases("conversations.json")
        let reference = cases.first {
            ChatTemplateFixtures.string("template", of: $0) == "smollm2-instruct.jinja"
                && ChatTemplateFixtures.string("name", of: $0) == "single_user"
                && { if case .bool(true)? = $0["add_generation_prompt"] { return true } else { return false } }($0)
        }
        XCTAssertEqual(rendered, reference?["expected"]?.stringValue)
        XCTAssertTrue(rendered.hasPrefix("<|im_start|>system\nYou are a helpful AI assistant named SmolLM"))
        XCTAssertTrue(rendered.hasSuffix("<|im_end|>\n<|im_start|>assistant\n"))
    }
}
