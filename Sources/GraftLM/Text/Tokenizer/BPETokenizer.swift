import Foundation

/// A byte-level BPE tokenizer (GPT-2 family: SmolLM2, Llama 3, Qwen2, GPT-2).
///
/// Build it from GGUF tokenizer metadata with
/// ``init(tokens:merges:tokenTypes:bosTokenID:eosTokenID:padTokenID:unknownTokenID:addBOS:addEOS:preTokenizer:ignoreMerges:chatTemplate:)``
/// or from a Hugging Face `tokenizer.json` with ``init(tokenizerJSON:tokenizerConfig:)``.
///
/// Encoding: added/special tokens are matched in the raw text first (leftmost, longest) and
/// never split; the text between them is normalized (NFC when the file asks for it),
/// pre-tokenized into pieces, each piece's UTF-8 bytes are mapped through the byte-level
/// alphabet and merged by rank. Finished pieces are cached. The value is immutable and
/// `Sendable`; copies share the cache.
public struct BPETokenizer: Sendable {
    /// Token text by id, in byte-level form for ordinary tokens (nil for ids without a token).
    let tokenTexts: [String?]
    /// Token id by text.
    let idsByText: [String: Int32]
    /// Whether each id is a special (control) token, skipped by `skipSpecialTokens`.
    let specialFlags: [Bool]
    /// The raw bytes each id decodes to: `decodedBytes[decodedOffsets[id]..<decodedOffsets[id+1]]`.
    let decodedBytes: [UInt8]
    let decodedOffsets: [Int32]
    let merger: BPEMerger
    let addedTokenMatcher: AddedTokenMatcher
    /// Ordinary tokens by raw bytes, for `ignoreMerges` (nil when off).
    let wholePieceIDs: [[UInt8]: Int32]?
    let cache: PieceCache

    /// How text between added tokens is split before merging.
    public let preTokenizer: PreTokenizer
    /// Whether text is NFC-normalized before pre-tokenization (Qwen2's normalizer).
    public let normalizesNFC: Bool
    /// Ids put before the text when `addSpecialTokens` is true (e.g. BOS).
    public let prefixTokenIDs: [Int32]
    /// Ids put after the text when `addSpecialTokens` is true (e.g. EOS).
    public let suffixTokenIDs: [Int32]
    /// Beginning-of-sequence id, if the tokenizer defines one.
    public let bosTokenID: Int32?
    /// End-of-sequence id, if the tokenizer defines one.
    public let eosTokenID: Int32?
    /// Padding id, if the tokenizer defines one.
    public let padTokenID: Int32?
    /// Unknown-token id, if the tokenizer defines one.
    public let unknownTokenID: Int32?
    /// The Jinja chat template shipped with the tokenizer, if any.
    public internal(set) var chatTemplate: String?

    /// Number of token ids (the highest id + 1).
    public var vocabularySize: Int { tokenTexts.count }
    /// The added tokens (matched as literal text), in definition order.
    public var addedTokens: [AddedToken] { addedTokenMatcher.tokens }

    /// Everything needed to assemble a tokenizer; the public initializers fill it in.
    struct Parts {
        var source: String
        var tokenTexts: [String?]
        /// Merges in rank order as (left, right) token texts, with the field name for errors.
        var merges: [(left: String, right: String)]
        var mergesField: String
        var addedTokens: [AddedToken]
        var preTokenizer: PreTokenizer
        var normalizesNFC = false
        var ignoreMerges = false
        /// The id used for bytes missing from the vocabulary (nil: drop them).
        var unknownForMissingBytes: Int32?
        var prefixTokenIDs: [Int32] = []
        var suffixTokenIDs: [Int32] = []
        var bosTokenID: Int32?
        var eosTokenID: Int32?
        var padTokenID: Int32?
        var unknownTokenID: Int32?
        var chatTemplate: String?
        var cacheCapacity = 1 << 16
    }

    init(parts: Parts) throws {
        let count = parts.tokenTexts.count
        var idsByText: [String: Int32] = [:]
        idsByText.reserveCapacity(count)
        for (id, text) in parts.tokenTexts.enumerated() {
            guard let text else { continue }
            if idsByText[text] == nil { idsByText[text] = Int32(id) }
        }
        for special in [parts.bosTokenID, parts.eosTokenID, parts.padTokenID, parts.unknownTokenID] {
            if let special, special < 0 || Int(special) >= count || parts.tokenTexts[Int(special)] == nil {
                throw TokenizerError.malformed(source: parts.source, field: "special token ids",
                                               problem: "names id \(special), which has no token (vocabulary size \(count))")
            }
        }
        var specialFlags = [Bool](repeating: false, count: count)
        var addedIDs = Set<Int32>()
        for token in parts.addedTokens {
            guard token.id >= 0 && Int(token.id) < count else {
                throw TokenizerError.malformed(source: parts.source, field: "added_tokens",
                                               problem: "has id \(token.id) outside the vocabulary (size \(count))")
            }
            specialFlags[Int(token.id)] = specialFlags[Int(token.id)] || token.special
            addedIDs.insert(token.id)
        }

        // Decoding table: added tokens decode to their literal text; ordinary tokens through the
        // inverse byte-level alphabet (or literally when they hold scalars outside it).
        var decodedBytes: [UInt8] = []
        var decodedOffsets: [Int32] = [0]
        decodedOffsets.reserveCapacity(count + 1)
        var wholePieces: [[UInt8]: Int32] = [:]
        for (id, text) in parts.tokenTexts.enumerated() {
            if let text {
                if !addedIDs.contains(Int32(id)), let bytes = ByteLevelAlphabet.decode(text) {
                    decodedBytes.append(contentsOf: bytes)
                    if parts.ignoreMerges && wholePieces[bytes] == nil { wholePieces[bytes] = Int32(id) }
                } else {
                    decodedBytes.append(contentsOf: Array(text.utf8))
                }
            }
            decodedOffsets.append(Int32(decodedBytes.count))
        }

        var mergeTable: [UInt64: UInt64] = [:]
        mergeTable.reserveCapacity(parts.merges.count)
        for (rank, merge) in parts.merges.enumerated() {
            guard let left = idsByText[merge.left], let right = idsByText[merge.right],
                  let merged = idsByText[merge.left + merge.right] else {
                throw TokenizerError.malformed(
                    source: parts.source, field: "\(parts.mergesField)[\(rank)]",
                    problem: "merges \"\(merge.left)\" and \"\(merge.right)\", but the vocabulary lacks one of them or their concatenation")
            }
            let key = BPEMerger.pairKey(left, right)
            if mergeTable[key] == nil {
                mergeTable[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
            }
        }
        let byteTokenIDs: [Int32] = (0..<256).map { byte in
            let text = String(Unicode.Scalar(ByteLevelAlphabet.scalarForByte[byte])!)
            return idsByText[text] ?? -1
        }

        self.tokenTexts = parts.tokenTexts
        self.idsByText = idsByText
        self.specialFlags = specialFlags
        self.decodedBytes = decodedBytes
        self.decodedOffsets = decodedOffsets
        self.merger = BPEMerger(merges: mergeTable, byteTokenIDs: byteTokenIDs,
                                unknownID: parts.unknownForMissingBytes)
        self.addedTokenMatcher = AddedTokenMatcher(tokens: parts.addedTokens)
        self.wholePieceIDs = parts.ignoreMerges ? wholePieces : nil
        self.cache = PieceCache(capacity: parts.cacheCapacity)
        self.preTokenizer = parts.preTokenizer
        self.normalizesNFC = parts.normalizesNFC
        self.prefixTokenIDs = parts.prefixTokenIDs
        self.suffixTokenIDs = parts.suffixTokenIDs
        self.bosTokenID = parts.bosTokenID
        self.eosTokenID = parts.eosTokenID
        self.padTokenID = parts.padTokenID
        self.unknownTokenID = parts.unknownTokenID
        self.chatTemplate = parts.chatTemplate
    }

    // MARK: - Lookup

    /// The id of a token given in its vocabulary form (byte-level text, or an added token's
    /// literal text), or nil.
    public func tokenID(for token: String) -> Int32? { idsByText[token] }

    /// The vocabulary form of token `id`, or nil when the id has no token.
    public func token(for id: Int32) -> String? {
        guard id >= 0 && Int(id) < tokenTexts.count else { return nil }
        return tokenTexts[Int(id)]
    }

    /// Whether `id` is a special (control) token.
    public func isSpecial(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < specialFlags.count && specialFlags[Int(id)]
    }

    // MARK: - Decoding

    /// Appends the raw bytes of token `id` to `bytes` (nothing for a skipped special token).
    func appendBytes(of id: Int32, skipSpecialTokens: Bool, to bytes: inout [UInt8]) throws {
        guard id >= 0 && Int(id) < tokenTexts.count, tokenTexts[Int(id)] != nil else {
            throw TokenizerError.unknownTokenID(id, vocabularySize: tokenTexts.count)
        }
        if skipSpecialTokens && specialFlags[Int(id)] { return }
        let start = Int(decodedOffsets[Int(id)])
        let end = Int(decodedOffsets[Int(id) + 1])
        bytes.append(contentsOf: decodedBytes[start..<end])
    }

    /// Decodes ids to text: token bytes are concatenated and read as UTF-8, invalid sequences
    /// becoming U+FFFD. Throws ``TokenizerError/unknownTokenID(_:vocabularySize:)`` for an id
    /// without a token.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids {
            try appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A decoder that turns ids into text one at a time, for generation.
    public func makeStreamingDetokenizer(skipSpecialTokens: Bool = false) -> StreamingDetokenizer {
        StreamingDetokenizer(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
    }

    // MARK: - Checks

    /// Checks that this tokenizer fits a model whose embedding has `vocabularySize` rows.
    ///
    /// Fails when any tokenizer id would be out of range for the model, and, unless
    /// `allowModelPadding` is true, also when the model has more rows than the tokenizer has
    /// ids (some models pad their embedding; most mismatches mean the wrong tokenizer).
    public func validate(vocabularySize modelSize: Int, allowModelPadding: Bool = false) throws {
        let size = vocabularySize
        if size > modelSize {
            throw TokenizerError.vocabularyMismatch(
                tokenizerSize: size, modelSize: modelSize,
                detail: "ids \(modelSize)..<\(size) would index past the model's embedding")
        }
        if size < modelSize && !allowModelPadding {
            throw TokenizerError.vocabularyMismatch(
                tokenizerSize: size, modelSize: modelSize,
                detail: "the model has \(modelSize - size) rows without a token; this is probably a different model's tokenizer (pass allowModelPadding: true if the embedding is padded)")
        }
    }
}
