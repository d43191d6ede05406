import Graft

extension LlamaModel {
    /// Runs one forward pass for every sequence of a batch cache and returns the evaluated
    /// logits of each row's last new token, `[rows.count, vocabularySize]`.
    ///
    /// Row b's tokens continue at position `cache.lengths[b]` (rows may sit at different
    /// positions and bring different numbers of tokens: a ragged prefill, or one token each
    /// while decoding). Shorter rows are right-padded to the longest; the padding's keys and
    /// values land past the row's length, are never attended to, and are overwritten by the
    /// row's next pass, so each row computes exactly what it would alone.
    /// - Throws: ``ModelError/invalidInput(_:)`` for a row count that does not match the cache,
    ///   an empty row, or an id outside the vocabulary;
    ///   ``ModelError/contextOverflow(tokens:contextLength:)`` when a row outgrows the context.
    public func step(rows: [[Int32]], cache: KVCache) throws -> Tensor {
        guard rows.count == cache.batchSize else {
            throw ModelError.invalidInput("LlamaModel.step: \(rows.count) rows of tokens for a cache of \(cache.batchSize) sequences")
        }
        for (row, tokens) in rows.enumerated() {
            guard !tokens.isEmpty else { throw ModelError.invalidInput("LlamaModel.step: row \(row) has no tokens to run") }
            if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
                throw ModelError.invalidInput("token id \(bad) (row \(row)) is outside the model's vocabulary (0..<\(config.vocabularySize))")
            }
            let total = cache.lengths[row] + tokens.count
            guard total <= config.contextLength else {
                throw ModelError.contextOverflow(tokens: total, contextLength: config.contextLength)
            }
        }
        let width = rows.map(\.count).max()!
        var padded = [Int32](repeating: 0, count: rows.count * width)
        for (row, tokens) in rows.enumerated() {
            for (t, token) in tokens.enumerated() { padded[row * width + t] = token }
        }
        let hidden = hiddenStates(Tensor(padded, shape: [rows.count, width]), cache: cache, rowCounts: rows.map(\.count),
                                  layerLimit: nil, adapters: nil)
        let last = rows.enumerated().map { Int32($0.offset * width + $0.element.count - 1) }
        let result = outputLogits(hidden.reshaped([rows.count * width, config.hiddenSize]).take(Tensor(last), axis: 0))
        eval([result] + cache.state)
        return result
    }
}
