import Foundation
import Yams

/// A recipe's values by dotted key path after schema and type checks, before defaults and
/// cross-key rules: the YAML file, then each `--set` override on top.
struct RecipeDocument {
    /// A value with the place of its key.
    struct Entry {
        let value: RecipeValue
        let location: RecipeLocation
    }

    /// The file the recipe came from (for locations).
    let source: String
    let environment: [String: String]
    /// Leaf values by key path (`lora.rank`).
    private(set) var entries: [String: Entry] = [:]
    /// Groups written as mappings (`lora`, `model.quantize`) with their key's place; a group
    /// written as null is absent.
    private(set) var groups: [String: RecipeLocation] = [:]
    /// The `--set` arguments applied, in order.
    private(set) var overrides: [String] = []

    /// Reads `yaml` (from the file `source`) against the schema.
    init(yaml: String, source: String, environment: [String: String]) throws {
        self.source = source
        self.environment = environment
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw Self.syntaxError(error, location: { .file(path: source, line: $0.line, column: $0.column) },
                                   fallback: .wholeFile(path: source))
        }
        guard let root else { return }  // an empty file: only the required keys will be missing
        try read(root, schema: RecipeSchema.root, path: "", locate: fileLocation)
    }

    private func fileLocation(_ mark: Mark?) -> RecipeLocation {
        guard let mark else { return .wholeFile(path: source) }
        return .file(path: source, line: mark.line, column: mark.column)
    }

    /// The entry at a key path.
    subscript(path: String) -> Entry? { entries[path] }

    /// Applies one `--set key.path=value` argument. The value is read as YAML (so lists and
    /// null work: `lora.targets=[q,v]`, `train.grad_clip=null`) and typed by the schema.
    mutating func applyOverride(_ argument: String) throws {
        let here = RecipeLocation.override(argument)
        guard let equals = argument.firstIndex(of: "=") else {
            throw RecipeError(.badOverride, at: here, keyPath: "", "expected key.path=value, like lora.rank=16")
        }
        let path = String(argument[..<equals]).trimmingCharacters(in: .whitespaces)
        let valueText = String(argument[argument.index(after: equals)...])
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !path.isEmpty, !parts.contains("") else {
            throw RecipeError(.badOverride, at: here, keyPath: path, "the key path must be names joined by dots, like lora.rank")
        }
        var schema = RecipeSchema.root
        var walked: [String] = []
        for part in parts {
            let parent = walked.joined(separator: ".")
            walked.append(part)
            guard let next = schema.child(part) else {
                if case .leaf = schema {
                    throw RecipeError(.badOverride, at: here, keyPath: walked.joined(separator: "."),
                                      "\(parent) is a value, it has no keys")
                }
                throw Self.unknownKey(part, path: walked.joined(separator: "."), parent: parent, schema: schema, at: here)
            }
            schema = next
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: valueText)
        } catch let error as YamlError {
            throw Self.syntaxError(error, location: { _ in here }, fallback: here, keyPath: path)
        }
        overrides.append(argument)
        for i in 1..<parts.count { groups[parts[..<i].joined(separator: ".")] = here }
        try read(node ?? Node("", .implicit, .plain), schema: schema, path: path, keyLocation: here, locate: { _ in here })
    }

    /// Checks `node` against `schema` and records its values under `path`.
    private mutating func read(_ node: Node, schema: RecipeSchemaNode, path: String, keyLocation: RecipeLocation? = nil,
                               locate: @escaping (Mark?) -> RecipeLocation) throws {
        switch schema {
        case .leaf(let kind):
            let reader = RecipeValueReader(locate: { locate($0.mark) }, environment: environment)
            entries[path] = Entry(value: try reader.read(node, kind: kind, keyPath: path),
                                  location: keyLocation ?? locate(node.mark))
        case .group:
            removeValues(under: path)
            if RecipeValueReader.isNull(node) { return }
            guard case .mapping(let mapping) = node else {
                throw RecipeError(.wrongType, at: locate(node.mark), keyPath: path,
                                  "expected a mapping with keys " + schema.keyNames.joined(separator: ", ")
                                      + ", got " + RecipeValueReader.describe(node))
            }
            if !path.isEmpty { groups[path] = keyLocation ?? locate(node.mark) }
            for (keyNode, value) in mapping {
                let keyLocation = locate(keyNode.mark)
                guard let key = RecipeValueReader.plainText(keyNode) ?? keyNode.scalar?.string else {
                    throw RecipeError(.wrongType, at: keyLocation, keyPath: path,
                                      "keys must be names, got \(RecipeValueReader.describe(keyNode))")
                }
                let childPath = path.isEmpty ? key : path + "." + key
                guard let child = schema.child(key) else {
                    throw Self.unknownKey(key, path: childPath, parent: path, schema: schema, at: keyLocation)
                }
                try read(value, schema: child, path: childPath, keyLocation: keyLocation, locate: locate)
            }
        }
    }

    /// Forgets every value under a group (before it is read again or set to null).
    private mutating func removeValues(under path: String) {
        if path.isEmpty { entries = [:]; groups = [:]; return }
        let prefix = path + "."
        entries = entries.filter { !$0.key.hasPrefix(prefix) }
        groups = groups.filter { !$0.key.hasPrefix(prefix) && $0.key != path }
    }

    static func unknownKey(_ key: String, path: String, parent: String, schema: RecipeSchemaNode,
                           at location: RecipeLocation) -> RecipeError {
        let allowed = schema.keyNames
        return RecipeError(.unknownKey, at: location, keyPath: path, "unknown key", allowedKeys: allowed,
                           suggestion: RecipeSuggestion.closest(to: key, in: allowed, section: parent))
    }

    static func syntaxError(_ error: YamlError, location: (Mark) -> RecipeLocation, fallback: RecipeLocation,
                            keyPath: String = "") -> RecipeError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let detail = context.map { "\($0.text) (line \($0.mark.line)): " } ?? ""
            return RecipeError(.syntax, at: location(mark), keyPath: keyPath, "invalid YAML: \(detail)\(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return RecipeError(.syntax, at: location(context.mark), keyPath: keyPath,
                               "a mapping repeats the key(s) " + duplicates.sorted().map { "'\($0)'" }.joined(separator: ", "))
        default:
            return RecipeError(.syntax, at: fallback, keyPath: keyPath, "invalid YAML: \(error)")
        }
    }
}
