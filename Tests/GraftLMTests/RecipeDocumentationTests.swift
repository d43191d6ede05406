import Foundation
import GraftLM
import XCTest

/// recipes/README.md documents every key the schema accepts, and only those.
final class RecipeDocumentationTests: XCTestCase {
    func testReadmeDocumentsEveryKey() throws {
        let url = RecipeTestSupport.repositoryRoot.appendingPathComponent("recipes/README.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        // Table rows look like: | `lora.rank` | integer ≥ 1 | 8 | meaning |
        let documented = Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        })
        let keys = Set(Recipe.keyPaths)
        XCTAssertEqual(keys.count, 39)
        XCTAssertEqual(keys.subtracting(documented).sorted(), [], "keys missing from recipes/README.md")
        XCTAssertEqual(documented.subtracting(keys).sorted(), [], "README documents keys the schema does not accept")
    }

    /// Every recipe shipped in recipes/ parses.
    func testShippedRecipesParse() throws {
        let dir = RecipeTestSupport.repositoryRoot.appendingPathComponent("recipes")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
        XCTAssertFalse(files.isEmpty)
        for file in files {
            XCTAssertNoThrow(try Recipe.load(path: dir.appendingPathComponent(file).path, environment: ["HOME": "/h"]), file)
        }
    }
}
