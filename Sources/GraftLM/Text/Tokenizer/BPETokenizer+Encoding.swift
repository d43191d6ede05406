import Foundation

extension BPETokenizer {
    /// Reusable buffers for one `encode` call.
    private struct EncodeScratch {
        var pieceEnds: [Int32] = []
        var splitScratch: [Int32] = []
        var pieceBytes: [UInt8] = []
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
        let source = normalizesNFC ? text.precomposedStringWithCanonicalMapping : text
        var scalars: [UInt32] = []
        scalars.reserveCapacity(source.utf8.count)
        for scalar in source.unicodeScalars { scalars.append(scalar.value) }
        let classes = [UInt8](unsafeUninitializedCapacity: scalars.count) { buffer, initialized in
            for index in scalars.indices { buffer[index] = ScalarClass.of(scalars[index]) }
            initialized = scalars.count
        }
        var output: [Int32] = []
        output.reserveCapacity(scalars.count / 3 + 8)
        if addSpecialTokens { output.append(contentsOf: prefixTokenIDs) }
        var scratch = EncodeScratch()
        scalars.withUnsafeBufferPointer { scalarBuffer in
            classes.withUnsafeBufferPointer { classBuffer in
                var position = 0
                let count = scalarBuffer.count
                while position < count {
                    let match = addedTokenMatcher.isEmpty ? nil
                        : addedTokenMatcher.firstMatch(in: scalarBuffer, classes: classBuffer, from: position,
                                                       includeSpecial: parseSpecialTokens)
                    let segmentEnd = match?.start ?? count
                    encodeSegment(scalars: scalarBuffer, classes: classBuffer, start: position, end: segmentEnd,
                                  into: &output, scratch: &scratch)
                    if let match {
                        output.append(match.token.id)
                        position = match.end
                    } else {
                        position = count
                    }
                }
            }
        }
        if addSpecialTokens { output.append(contentsOf: suffixTokenIDs) }
        return output
    }

    /// Pre-tokenizes `start..<end` and appends the ids of every piece.
    private func encodeSegment(scalars: UnsafeBufferPointer<UInt32>, classes: UnsafeBufferPointer<UInt8>,
                               start: Int, end: Int, into output: inout [Int32],
                               scratch: inout EncodeScratch) {
        guard start < end else { return }
        preTokenizer.pieceEnds(scalars: scalars, classes: classes, start: start, end: end,
                               into: &scratch.pieceEnds, scratch: &scratch.splitScratch)
        var pieceStart = start
        for pieceEnd in scratch.pieceEnds {
            scratch.pieceBytes.removeAll(keepingCapacity: true)
            for index in pieceStart..<Int(pieceEnd) {
                Self.appendUTF8(scalars[index], to: &scratch.pieceBytes)
            }
            pieceStart = Int(pieceEnd)
            if cache.appendCached(scratch.pieceBytes, to: &output) { continue }
            let firstNew = output.count
            if let wholePieceIDs, let id = wholePieceIDs[scratch.pieceBytes] {
                output.append(id)
            } else {
                scratch.pieceBytes.withUnsafeBufferPointer { bytes in
                    merger.merge(bytes, into: &output, scratch: &scratch.merge)
                }
            }
            cache.insert(scratch.pieceBytes, ids: output[firstNew...])
        }
    }

    @inline(__always)
    private static func appendUTF8(_ value: UInt32, to bytes: inout [UInt8]) {
        switch value {
        case 0..<0x80:
            bytes.append(UInt8(value))
        case 0x80..<0x800:
            bytes.append(UInt8(0xC0 | (value >> 6)))
            bytes.append(UInt8(0x80 | (value & 0x3F)))
        case 0x800..<0x10000:
            bytes.append(UInt8(0xE0 | (value >> 12)))
            bytes.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (value & 0x3F)))
        default:
            bytes.append(UInt8(0xF0 | (value >> 18)))
            bytes.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (value & 0x3F)))
        }
    }
}
