import Foundation
import GraftLM
import XCTest

/// Shared helpers for the recipe tests.
enum RecipeTestSupport {
    /// Tests/GraftLMTests/Fixtures/recipes/<name>.
    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
            .appendingPathComponent("recipes").appendingPathComponent(name).path
    }

    /// The repository root (for recipes/quickstart.yaml and recipes/README.md).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let environment = ["HOME": "/home/tester"]

    /// A recipe with the two required keys, then `body`.
    static func yaml(_ body: String) -> String {
        "model:\n  path: m.gguf\ndata:\n  dir: d\n" + body
    }

    /// Parses and returns the error, failing the test when parsing succeeds or throws something else.
    static func error(_ yaml: String, source: String = "r.yaml", overrides: [String] = [],
                      file: StaticString = #filePath, line: UInt = #line) -> RecipeError? {
        do {
            let recipe = try Recipe.parse(yaml: yaml, source: source, overrides: overrides, environment: environment)
            XCTFail("expected an error, got a recipe:\n\(recipe.summary)", file: file, line: line)
        } catch let error as RecipeError {
            return error
        } catch {
            XCTFail("expected a RecipeError, got \(error)", file: file, line: line)
        }
        return nil
    }
}
