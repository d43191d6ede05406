import Foundation
import GraftLM
import XCTest

/// Public API behaviour not covered by the transformers fixtures.
final class ChatTemplateAPITests: XCTestCase {
    /// `strftime_now` formats the current local date as Python's `datetime.now().strftime` does.
    func testStrftimeNowFormatsToday() throws {
        let template = try ChatTemplate(source: "{{ strftime_now('%Y-%m-%d|%d %b %Y') }}")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd|dd MMM yyyy"
        let before = formatter.string(from: Date())
        let rendered = try template.render(context: [:])
        let after = formatter.string(from: Date())
        XCTAssertTrue(rendered == before || rendered == after, "\(rendered) vs \(before)")
    }

    /// Without `date_string`, Llama 3.2's template takes today's date from `strftime_now`.
    func testLlamaTemplateUsesStrftimeNowWithoutDateString() throws {
        let template = try ChatTemplate(source: try ChatTemplateFixtures.text("llama-3.2-instruct.jinja"))
        let rendered = try template.render(messages: [ChatMessage(role: "user", content: "Hi")],
                                           addGenerationPrompt: true, bosToken: "<|begin_of_text|>",
                                           eosToken: "<|eot_id|>")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "dd MMM yyyy"
        XCTAssertTrue(rendered.contains("Today Date: " + formatter.string(from: Date())), rendered)
    }

    /// extraContext overrides the defaults (`tools` is None unless given).
    func testExtraContextOverridesDefaults() throws {
        let template = try ChatTemplate(source: "{{ tools is none }}|{{ tools | length if tools else 0 }}|{{ custom }}")
        XCTAssertEqual(try template.render(messages: [], addGenerationPrompt: false, bosToken: "", eosToken: ""),
                       "True|0|")
        let withTools = try template.render(messages: [], addGenerationPrompt: false, bosToken: "", eosToken: "",
                                            extraContext: ["tools": [["type": "function"]], "custom": "x"])
        XCTAssertEqual(withTools, "False|1|x")
    }

    /// JSON read into template values keeps key order, and `jsonString` writes it back unchanged.
    func testJSONRoundTripKeepsKeyOrder() throws {
        let text = #"{"z": 1, "a": [true, null, 2.5, "é\n"], "m": {}}"#
        let value = try TemplateValue(json: text)
        XCTAssertEqual(value.dictionaryValue?.keys, ["z", "a", "m"])
        XCTAssertEqual(try value.jsonString(), text)
    }

    /// Message extra fields become dict entries the template can read.
    func testMessageExtraFieldsAreVisible() throws {
        let template = try ChatTemplate(source: "{% for m in messages %}{{ m.name | default('-') }}{{ 'tool_call_id' in m }}{% endfor %}")
        let rendered = try template.render(
            messages: [ChatMessage(role: "tool", content: "r", extra: [("name", "calc"), ("tool_call_id", "1")]),
                       ChatMessage(role: "user", content: "u")],
            addGenerationPrompt: false, bosToken: "", eosToken: "")
        XCTAssertEqual(rendered, "calcTrue-False")
    }
}
