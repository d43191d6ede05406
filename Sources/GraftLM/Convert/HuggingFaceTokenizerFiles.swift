import Foundation
import GraftIO

/// The tokenizer files of a Hugging Face / mlx-lm model folder (`tokenizer.json`,
/// `tokenizer_config.json` with the chat template), built from a ``BPETokenizer`` (formats.md
/// §3) or copied from a source folder.
public struct HuggingFaceTokenizerFiles: Sendable {
    /// File name → contents.
    public let files: [String: Data]

    /// Files copied as they are when the source is a Hugging Face folder.
    public static let copiedFileNames = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                         "chat_template.jinja", "generation_config.json"]

    /// The tokenizer files present in the folder `directory`.
    /// - Throws: ``ModelError/invalidInput(_:)`` when the folder has no `tokenizer.json`.
    public init(copyingFrom directory: URL) throws {
        var files: [String: Data] = [:]
        for name in Self.copiedFileNames {
            let url = directory.appendingPathComponent(name)
            if let data = FileManager.default.contents(atPath: url.path) { files[name] = data }
        }
        guard files["tokenizer.json"] != nil else {
            throw ModelError.invalidInput("\(directory.path) has no tokenizer.json to copy into the converted model")
        }
        self.files = files
    }

    /// `tokenizer.json` and `tokenizer_config.json` for `tokenizer` (e.g. read from a GGUF's
    /// `tokenizer.*` metadata), from its ``BPETokenizer/tokenizerJSON`` and
    /// ``BPETokenizer/tokenizerConfigJSON(modelMaxLength:)``.
    /// - Throws: the JSON encoder's error (not expected for a tokenizer Graft read).
    public init(tokenizer: BPETokenizer, modelMaxLength: Int?) throws {
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        let json = try JSONSerialization.data(withJSONObject: tokenizer.tokenizerJSON, options: options)
        let config = try JSONSerialization.data(withJSONObject: tokenizer.tokenizerConfigJSON(modelMaxLength: modelMaxLength),
                                                options: options.union(.prettyPrinted))
        files = ["tokenizer.json": json, "tokenizer_config.json": config + Data("\n".utf8)]
    }

    /// Writes the files into `folder` (each atomically).
    /// - Throws: the file system's error when a file cannot be written.
    public func write(into folder: URL) throws {
        for (name, data) in files.sorted(by: { $0.key < $1.key }) {
            try AtomicFile.write(data, to: folder.appendingPathComponent(name))
        }
    }
}
