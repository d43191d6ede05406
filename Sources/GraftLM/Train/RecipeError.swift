/// Where a recipe value came from: a place in a YAML file or a `--set` override.
public enum RecipeLocation: Sendable, Equatable, CustomStringConvertible {
    /// `file:line:column` (1-based, columns counted in Unicode scalars, as libyaml does).
    case file(path: String, line: Int, column: Int)
    /// The file as a whole (a key that is missing, an unreadable file).
    case wholeFile(path: String)
    /// A command-line override, holding the argument as given (`lora.rank=4`).
    case override(String)

    /// `recipes/x.yaml:12:5`, `recipes/x.yaml` or `--set lora.rank=4`.
    public var description: String {
        switch self {
        case let .file(path, line, column): return "\(path):\(line):\(column)"
        case let .wholeFile(path): return path
        case let .override(argument): return "--set \(argument)"
        }
    }
}

/// A recipe that cannot be used, found before any training starts. The description reads like a
/// compiler diagnostic: `recipes/x.yaml:7:3: error: lora.rnak: unknown key; allowed keys in
/// lora: rank, alpha, dropout, targets, layers, dora; did you mean 'rank'?`
public struct RecipeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is.
    public enum Kind: String, Sendable {
        /// The file could not be read.
        case unreadable
        /// The text is not valid YAML (or has duplicate keys).
        case syntax
        /// A key the schema does not know.
        case unknownKey
        /// A value of the wrong type (a string where a number belongs, a list where a mapping does).
        case wrongType
        /// A value of the right type outside its allowed range or set.
        case invalidValue
        /// Two settings that cannot be used together, or a setting that does not apply.
        case conflict
        /// A required key is absent.
        case missingKey
        /// A `--set` argument that is not `key.path=value`.
        case badOverride
    }

    /// The kind of problem.
    public let kind: Kind
    /// Where it is.
    public let location: RecipeLocation
    /// Dotted key path of the offending key (`lora.rank`), empty for the document itself.
    public let keyPath: String
    /// What is wrong, without location, key path or suggestions.
    public let message: String
    /// For unknown keys: the keys allowed where it stands.
    public let allowedKeys: [String]
    /// A close match for a misspelt key or value, if there is one.
    public let suggestion: String?

    /// An error; `allowedKeys` and `suggestion` only for unknown keys and values.
    public init(_ kind: Kind, at location: RecipeLocation, keyPath: String, _ message: String,
                allowedKeys: [String] = [], suggestion: String? = nil) {
        self.kind = kind
        self.location = location
        self.keyPath = keyPath
        self.message = message
        self.allowedKeys = allowedKeys
        self.suggestion = suggestion
    }

    public var description: String {
        var text = "\(location): error: "
        if !keyPath.isEmpty { text += "\(keyPath): " }
        text += message
        if !allowedKeys.isEmpty {
            let parent = keyPath.split(separator: ".").dropLast().joined(separator: ".")
            text += "; allowed keys " + (parent.isEmpty ? "at the top level" : "in \(parent)") + ": "
                + allowedKeys.joined(separator: ", ")
        }
        if let suggestion { text += "; did you mean '\(suggestion)'?" }
        return text
    }
}
