/// A Hugging Face Hub model repository named `ORG/NAME`.
public struct HubRepositoryID: Sendable, Hashable, CustomStringConvertible {
    /// The user or organization.
    public let owner: String
    /// The repository name.
    public let name: String

    /// Parses `ORG/NAME`: exactly two parts of letters, digits, `-`, `_` and `.`, neither
    /// starting with `.` or `-`; nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy(Self.isValidPart) else { return nil }
        owner = String(parts[0])
        name = String(parts[1])
    }

    private static func isValidPart(_ part: Substring) -> Bool {
        guard let first = part.first, first != ".", first != "-", part.count <= 96 else { return false }
        return part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }

    /// `ORG/NAME`.
    public var description: String { "\(owner)/\(name)" }

    /// The repository's folder in the hub cache: `models--ORG--NAME`.
    public var cacheFolderName: String { "models--\(owner)--\(name)" }
}
