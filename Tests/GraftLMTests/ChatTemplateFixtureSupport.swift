import Foundation
import GraftLM
import XCTest

/// Loads the reference renderings written by scripts/fixtures/chat_templates.py.
enum ChatTemplateFixtures {
    static func directory() throws -> URL {
        guard let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw XCTSkip("test bundle has no Fixtures folder")
        }
        return fixtures.appendingPathComponent("chat_templates")
    }

    static func text(_ name: String) throws -> String {
        let url = try directory().appendingPathComponent(name)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            XCTFail("missing fixture \(url.path); run scripts/fixtures/chat_templates.py")
            return ""
        }
        return text
    }

    /// The `cases` array of a fixture JSON file, read with key order preserved.
    static func cases(_ name: String) throws -> [TemplateDictionary] {
        let document = try TemplateValue(json: try text(name))
        guard let cases = document.dictionaryValue?["cases"]?.arrayValue else {
            XCTFail("\(name) has no cases array"); return []
        }
        return cases.compactMap(\.dictionaryValue)
    }

    static func string(_ field: String, of dictionary: TemplateDictionary) -> String {
        dictionary[field]?.stringValue ?? ""
    }

    static func messages(_ value: TemplateValue?) -> [ChatMessage] {
        (value?.arrayValue ?? []).compactMap(\.dictionaryValue).map { message in
            ChatMessage(role: string("role", of: message), content: string("content", of: message),
                        extra: message.entries.filter { $0.key != "role" && $0.key != "content" }
                            .map { ($0.key, $0.value) })
        }
    }

    static func context(_ value: TemplateValue?) -> [String: TemplateValue] {
        var context: [String: TemplateValue] = [:]
        for (key, entry) in value?.dictionaryValue?.entries ?? [] { context[key] = entry }
        return context
    }

    /// Checks a render against a case's `expected` text (byte for byte) or `error` entry.
    static func check(_ testCase: TemplateDictionary, label: String, file: StaticString = #filePath,
                      line: UInt = #line, render: () throws -> String) {
        if let expected = testCase["expected"]?.stringValue {
            do {
                let rendered = try render()
                XCTAssertTrue(rendered.utf8.elementsEqual(expected.utf8),
                               "\(label): rendered\n\(rendered)\n--- expected\n\(expected)", file: file, line: line)
            } catch {
                XCTFail("\(label): unexpected error \(error)", file: file, line: line)
            }
            return
        }
        guard let failure = testCase["error"]?.dictionaryValue else {
            XCTFail("\(label): case has neither expected nor error", file: file, line: line)
            return
        }
        let raised = failure["raised"].map { if case .bool(true) = $0 { return true } else { return false } } ?? false
        do {
            let rendered = try render()
            XCTFail("\(label): expected an error, rendered \(rendered)", file: file, line: line)
        } catch let error as ChatTemplateError {
            if raised {
                XCTAssertEqual(error, .raised(message: string("message", of: failure)), label, file: file, line: line)
            } else if case .raised = error {
                XCTFail("\(label): expected a runtime error, got \(error)", file: file, line: line)
            }
        } catch {
            XCTFail("\(label): unexpected error type \(error)", file: file, line: line)
        }
    }
}
