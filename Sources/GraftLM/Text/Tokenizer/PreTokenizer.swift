/// Splits text into the pieces that byte-level BPE merges within (merges never cross pieces).
///
/// A pre-tokenizer is a sequence of steps; each step splits every piece produced by the one
/// before it, and pieces always cover the text without gaps (Hugging Face's "Isolated"
/// behaviour). The patterns are hand-written scanners over Unicode scalars that reproduce the
/// regular expressions documented on each ``Step`` case.
public struct PreTokenizer: Sendable, Equatable {
    /// One splitting step.
    public enum Step: Sendable, Equatable {
        /// Hugging Face `Digits`: every numeric scalar (`\p{N}`) becomes its own piece when
        /// `individually` is true; otherwise each run of them does.
        case digits(individually: Bool)
        /// The GPT-2 pattern (ByteLevel `use_regex: true`):
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
        case gpt2
        /// The Llama-3 pattern with `\p{N}{1,maxDigits}` (3 for Llama 3, 1 for Qwen2):
        /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|`
        /// ` ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
        case llama3(maxDigits: Int)
    }

    /// The steps, applied in order.
    public let steps: [Step]

    /// Creates a pre-tokenizer from explicit steps.
    public init(steps: [Step]) {
        self.steps = steps
    }

    /// GPT-2's pre-tokenizer.
    public static let gpt2 = PreTokenizer(steps: [.gpt2])
    /// SmolLM/SmolLM2 (llama.cpp "smollm", also StarCoder): digits isolated, then GPT-2.
    public static let smollm = PreTokenizer(steps: [.digits(individually: true), .gpt2])
    /// Llama 3 (llama.cpp "llama-bpe").
    public static let llama3 = PreTokenizer(steps: [.llama3(maxDigits: 3)])
    /// Qwen2 (llama.cpp "qwen2"): the Llama-3 pattern with single digits.
    public static let qwen2 = PreTokenizer(steps: [.llama3(maxDigits: 1)])

    /// The pre-tokenizer for a GGUF `tokenizer.ggml.pre` name, or nil if the name is unknown.
    public init?(ggufName name: String) {
        switch name {
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
            self = .smollm
        case "gpt2", "gpt-2", "mpt", "olmo", "jais":
            self = .gpt2
        case "llama-bpe", "llama3", "llama-v3":
            self = .llama3
        case "qwen2", "deepseek-r1-qwen":
            self = .qwen2
        default:
            return nil
        }
    }

    /// Splits `text` into pieces (a debugging and testing aid; encoding does not build strings).
    public func split(_ text: String) -> [String] {
        let scalars = text.unicodeScalars.map(\.value)
        let classes = scalars.map { ScalarClass.of($0) }
        var ends: [Int32] = []
        var scratch: [Int32] = []
        scalars.withUnsafeBufferPointer { scalarBuffer in
            classes.withUnsafeBufferPointer { classBuffer in
                pieceEnds(scalars: scalarBuffer, classes: classBuffer, start: 0, end: scalars.count,
                          into: &ends, scratch: &scratch)
            }
        }
        var pieces: [String] = []
        var start = 0
        for end in ends {
            var view = String.UnicodeScalarView()
            for value in scalars[start..<Int(end)] { view.append(Unicode.Scalar(value)!) }
            pieces.append(String(view))
            start = Int(end)
        }
        return pieces
    }

    /// Writes the end offsets of the pieces of `start..<end` into `ends` (replacing its
    /// contents). `scratch` is a reusable buffer.
    func pieceEnds(scalars: UnsafeBufferPointer<UInt32>, classes: UnsafeBufferPointer<UInt8>,
                   start: Int, end: Int, into ends: inout [Int32], scratch: inout [Int32]) {
        ends.removeAll(keepingCapacity: true)
        guard start < end else { return }
        ends.append(Int32(end))
        for step in steps {
            swap(&ends, &scratch)
            ends.removeAll(keepingCapacity: true)
            var pieceStart = start
            for pieceEnd in scratch {
                let stop = Int(pieceEnd)
                var position = pieceStart
                while position < stop {
                    let next: Int
                    switch step {
                    case .digits(let individually):
                        next = PatternScanner.digitsMatchEnd(classes: classes, at: position, end: stop,
                                                             individually: individually)
                    case .gpt2:
                        next = PatternScanner.gpt2MatchEnd(scalars: scalars, classes: classes,
                                                           at: position, end: stop)
                    case .llama3(let maxDigits):
                        next = PatternScanner.llama3MatchEnd(scalars: scalars, classes: classes,
                                                             at: position, end: stop, maxDigits: maxDigits)
                    }
                    ends.append(Int32(next))
                    position = next
                }
                pieceStart = stop
            }
        }
    }
}
