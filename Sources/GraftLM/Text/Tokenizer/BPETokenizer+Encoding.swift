import Foundation

extension BPETokenizer {
    /// Reusable buffers for one `encode` call.
    private struct EncodeScratch {
        var pieceEnds: [Int32] = []
        var splitScratch: [Int32] = []
        var merge = BPEMerger.Scratch()
    }

    /// Encodes text to token ids.
    ///
    /// - Parameters:
    ///   - text: the text.
    ///   - addSpecialTokens: add the tokenizer's prefix/suffix ids (BOS/EOS as configured).
    ///   - parseSpecialTokens: match special (control) tokens such as `<|im_start|>` written in
    ///     the text. When false they are encoded as ordinary text; non-special added tokens are
    ///     always matched. Hugging Face always parses them (the default here).
    public func encode(_ text: String, addSpecialTokens: Bool = true, parseSpecialTokens: Bool = true) -> [Int32] {
        var source = normalizesNFC ? text.precomposedStringWithCanonicalMapping : text
        var output: [Int32] = []
        output.reserveCapacity(source.utf8.count / 3 + 8)
        if addSpecialTokens { output.append(contentsOf: prefixTokenIDs) }
        source.withUTF8 { utf8 in
            let decoded = ScalarSequence(utf8: utf8)
            var scratch = EncodeScratch()
            decoded.scalars.withUnsafeBufferPointer { scalars in
                decoded.classes.withUnsafeBufferPointer { classes in
                    decoded.byteOffsets.withUnsafeBufferPointer { offsets in
                        var position = 0
                        let count = scalars.count
                        while position < count {
                            let match = addedTokenMatcher.isEmpty ? nil
                                : addedTokenMatcher.firstMatch(in: scalars, classes: classes, from: position,
                                                               includeSpecial: parseSpecialTokens)
                            let segmentEnd = match?.start ?? count
                            encodeSegment(utf8: utf8, scalars: scalars, classes: classes, offsets: offsets,
                                          start: position, end: segmentEnd, into: &output, scratch: &scratch)
                            if let match {
                                output.append(match.token.id)
                                position = match.end
                            } else {
                                position = count
                            }
                        }
                    }
                }
            }
        }
        if addSpecialTokens { output.append(contentsOf: suffixTokenIDs) }
        return output
    }

    /// Pre-tokenizes scalars `start..<end` and appends the ids of every piece.
    private func encodeSegment(utf8: UnsafeBufferPointer<UInt8>, scalars: UnsafeBufferPointer<UInt32>,
                               classes: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int32>,
                               start: Int, end: Int, into output: inout [Int32], scratch: inout EncodeScratch) {
        guard start < end else { return }
        preTokenizer.pieceEnds(scalars: scalars, classes: classes, start: start, end: end,
                               into: &scratch.pieceEnds, scratch: &scratch.splitScratch)
        var pieceStart = start
        for pieceEnd in scratch.pieceEnds {
            let bytes = UnsafeBufferPointer(rebasing: utf8[Int(offsets[pieceStart])..<Int(offsets[Int(pieceEnd)])])
            pieceStart = Int(pieceEnd)
            if cache.appendCached(bytes, to: &output) { continue }
            let firstNew = output.count
            if let wholePieceIDs, let id = wholePieceIDs[Array(bytes)] {
                output.append(id)
            } else {
                merger.merge(bytes, into: &output, scratch: &scratch.merge)
            }
            cache.insert(bytes, ids: output[firstNew...])
        }
    }
}

/// The Unicode scalars of a UTF-8 buffer with their classes and byte offsets.
struct ScalarSequence {
    var scalars: [UInt32]
    var classes: [UInt8]
    /// Byte offset of each scalar, plus the total length at the end.
    var byteOffsets: [Int32]

    /// Decodes `utf8`, which must be valid UTF-8 (as a Swift string's storage is).
    init(utf8: UnsafeBufferPointer<UInt8>) {
        let byteCount = utf8.count
        var scalarCount = 0
        scalars = [UInt32](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            var index = 0
            while index < byteCount {
                let lead = UInt32(utf8[index])
                let value: UInt32
                if lead < 0x80 {
                    value = lead
                    index += 1
                } else if lead < 0xE0 {
                    value = (lead & 0x1F) << 6 | UInt32(utf8[index + 1] & 0x3F)
                    index += 2
                } else if lead < 0xF0 {
                    value = (lead & 0x0F) << 12 | UInt32(utf8[index + 1] & 0x3F) << 6 | UInt32(utf8[index + 2] & 0x3F)
                    index += 3
                } else {
                    value = (lead & 0x07) << 18 | UInt32(utf8[index + 1] & 0x3F) << 12
                        | UInt32(utf8[index + 2] & 0x3F) << 6 | UInt32(utf8[index + 3] & 0x3F)
                    index += 4
                }
                buffer[scalarCount] = value
                scalarCount += 1
            }
            initialized = scalarCount
        }
        let count = scalarCount
        let values = scalars
        classes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = ScalarClass.of(values[index]) }
            initialized = count
        }
        byteOffsets = [Int32](unsafeUninitializedCapacity: count + 1) { buffer, initialized in
            var offset = 0
            for index in 0..<count {
                buffer[index] = Int32(offset)
                let value = values[index]
                offset += value < 0x80 ? 1 : value < 0x800 ? 2 : value < 0x10000 ? 3 : 4
            }
            buffer[count] = Int32(offset)
            initialized = count + 1
        }
    }
}
