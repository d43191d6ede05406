import Foundation

/// Errors raised while reading a model's configuration or weights, or while running it. Every
/// case that comes from a file names the file, and `description` says what is wrong.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The file's architecture is not one Graft can run.
    case unsupportedArchitecture(file: String, architecture: String, supported: [String])
    /// A configuration key that Graft needs is absent.
    case missingKey(file: String, key: String)
    /// A configuration key holds a value Graft cannot interpret (wrong type, impossible value).
    case invalidValue(file: String, key: String, problem: String)
    /// A configuration key holds a valid setting that Graft does not implement.
    case unsupportedValue(file: String, key: String, value: String)
    /// The configuration file is unreadable or is not a JSON object.
    case unreadableConfig(file: String, reason: String)
    /// A weight the architecture needs is absent.
    case missingTensor(file: String, name: String)
    /// A weight has another shape than the configuration implies.
    case shapeMismatch(file: String, name: String, expected: [Int], found: [Int])
    /// A prompt (plus the tokens to generate) does not fit in the model's context.
    case contextOverflow(tokens: Int, contextLength: Int)
    /// A call was given arguments that cannot work (empty prompt, wrong token-tensor shape, …).
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .unsupportedArchitecture(file, architecture, supported):
            return "\(file): model architecture '\(architecture)' is not supported (Graft runs: \(supported.joined(separator: ", ")))"
        case let .missingKey(file, key):
            return "\(file): required configuration key '\(key)' is missing"
        case let .invalidValue(file, key, problem):
            return "\(file): configuration key '\(key)' \(problem)"
        case let .unsupportedValue(file, key, value):
            return "\(file): configuration key '\(key)' is \(value), which Graft does not implement"
        case let .unreadableConfig(file, reason):
            return "cannot read model configuration \(file): \(reason)"
        case let .missingTensor(file, name):
            return "\(file): the model needs tensor '\(name)', which the file does not contain"
        case let .shapeMismatch(file, name, expected, found):
            return "\(file): tensor '\(name)' has shape \(found), expected \(expected) from the model configuration"
        case let .contextOverflow(tokens, contextLength):
            return "the prompt needs \(tokens) positions but the model's context holds \(contextLength) tokens; shorten the prompt"
        case let .invalidInput(message):
            return message
        }
    }

    public var errorDescription: String? { description }
}
