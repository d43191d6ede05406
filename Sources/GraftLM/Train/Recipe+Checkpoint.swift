import Foundation
import GraftIO

/// How a recipe travels inside a training checkpoint: the file's text, then one
/// `# --set key=value` comment line per command-line override (YAML ignores them; this
/// extension reads them back).
extension Recipe {
    static let storedOverridePrefix = "# --set "

    /// The text to store in a checkpoint.
    var checkpointText: String {
        text + overrides.map { Self.storedOverridePrefix + $0 + "\n" }.joined()
    }

    /// The recipe stored in `checkpoint` (read from `url`), with its recorded overrides and then
    /// `overrides` applied.
    static func stored(in checkpoint: TrainingCheckpoint, at url: URL, overrides: [String] = []) throws -> Recipe {
        let lines = checkpoint.recipe.split(separator: "\n", omittingEmptySubsequences: false)
        let recorded = lines.filter { $0.hasPrefix(storedOverridePrefix) }.map { String($0.dropFirst(storedOverridePrefix.count)) }
        // The file's own text, without the recorded lines (they come back as overrides), so a
        // resumed run stores the same recipe again.
        let yaml = lines.filter { !$0.hasPrefix(storedOverridePrefix) }.joined(separator: "\n")
        return try parse(yaml: yaml, source: url.path + " (stored recipe)", overrides: recorded + overrides)
    }
}
