import Foundation
import GraftLM
import XCTest

/// Malformed templates must throw a syntax error naming line and column; failures while
/// rendering must surface as errors (never crashes), and `raise_exception` keeps its message.
final class ChatTemplateErrorTests: XCTestCase {
    /// Each malformed template from malformed.json fails to parse, on the line Jinja reports.
    func testMalformedTemplatesReportJinjasLine() throws {
        let cases = try ChatTemplateFixtures.cases("malformed.json")
        XCTAssertGreaterThanOrEqual(cases.count, 10)
        for testCase in cases {
            let name = ChatTemplateFixtures.string("name", of: testCase)
            guard case .int(let jinjaLine)? = testCase["line"] else {
                XCTFail("\(name): fixture has no line")
                continue
            }
            do {
                _ = try ChatTemplate(source: ChatTemplateFixtures.string("template", of: testCase))
                XCTFail("\(name): malformed template parsed")
            } catch let error as ChatTemplateError {
                guard case .syntax(_, let location) = error else {
                    XCTFail("\(name): expected a syntax error, got \(error)")
                    continue
                }
                XCTAssertEqual(location.line, jinjaLine, "\(name): \(error)")
                XCTAssertGreaterThan(location.column, 0, name)
                XCTAssertTrue(error.description.contains("line \(jinjaLine), column \(location.column)"),
                              error.description)
            }
        }
    }

    func testUnknownTagNamesTagLineAndColumn() {
        XCTAssertThrowsError(try ChatTemplate(source: "Hello\n  {{ x }} {% frobnicate %}")) { error in
            XCTAssertEqual(error as? ChatTemplateError,
                           .syntax(message: "unknown tag 'frobnicate'",
                                   location: TemplateSourceLocation(line: 2, column: 14)))
        }
    }

    func testUnclosedBlockNamesExpectedTags() {
        XCTAssertThrowsError(try ChatTemplate(source: "{% for m in messages %}\n{{ m }}")) { error in
            let description = String(describing: error)
            XCTAssertTrue(description.contains("line 2"), description)
            XCTAssertTrue(description.contains("'endfor'"), description)
        }
    }

    func testRaiseExceptionPropagatesTemplateMessage() throws {
        let template = try ChatTemplate(source: """
            {%- for message in messages %}
                {%- if message.role not in ['user', 'assistant'] %}
                    {{- raise_exception('Role ' ~ message.role ~ ' is not supported!') }}
                {%- endif %}
            {%- endfor %}
            """)
        XCTAssertThrowsError(try template.render(messages: [ChatMessage(role: "tool", content: "x")],
                                                 addGenerationPrompt: false, bosToken: "", eosToken: "")) { error in
            XCTAssertEqual(error as? ChatTemplateError, .raised(message: "Role tool is not supported!"))
            XCTAssertTrue(String(describing: error).contains("Role tool is not supported!"))
        }
        XCTAssertEqual(try template.render(messages: [ChatMessage(role: "user", content: "x")],
                                           addGenerationPrompt: false, bosToken: "", eosToken: ""), "")
    }

    func testRuntimeErrorNamesStatementLocation() throws {
        let template = try ChatTemplate(source: "line 1\nline 2\n  {{ messages[0].content + 1 }}")
        XCTAssertThrowsError(try template.render(messages: [ChatMessage(role: "user", content: "hi")],
                                                 addGenerationPrompt: false, bosToken: "", eosToken: "")) { error in
            guard case .runtime(let message, let location)? = error as? ChatTemplateError else {
                return XCTFail("expected a runtime error, got \(error)")
            }
            XCTAssertEqual(location, TemplateSourceLocation(line: 3, column: 3))
            XCTAssertTrue(message.contains("'str' and 'int'"), message)
        }
    }

    func testUndefinedAttributeAccessFailsWithName() throws {
        let template = try ChatTemplate(source: "{{ conversation.messages }}")
        XCTAssertThrowsError(try template.render(context: [:])) { error in
            XCTAssertTrue(String(describing: error).contains("'conversation' is undefined"), "\(error)")
        }
    }

    func testRecursiveMacroFailsInsteadOfCrashing() throws {
        let template = try ChatTemplate(source: "{% macro loop_forever(n) %}{{ loop_forever(n + 1) }}{% endmacro %}{{ loop_forever(0) }}")
        XCTAssertThrowsError(try template.render(context: [:])) { error in
            XCTAssertTrue(String(describing: error).contains("nested deeper"), "\(error)")
        }
    }

    func testMalformedJSONIsReported() {
        XCTAssertThrowsError(try TemplateValue(json: "{\"a\": [1, 2}")) { error in
            XCTAssertTrue(String(describing: error).contains("invalid JSON"), "\(error)")
        }
    }
}
