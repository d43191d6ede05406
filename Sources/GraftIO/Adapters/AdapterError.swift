/// An adapter file or folder that cannot be read or written: names the file and the problem.
public struct AdapterError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file or folder concerned.
    public let file: String
    /// What is wrong, in words.
    public let problem: String

    /// An error about `file`.
    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
}
