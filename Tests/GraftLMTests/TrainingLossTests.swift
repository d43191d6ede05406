import Graft
import GraftLM
import GraftNN
import XCTest

/// The training loss runs the output head on the trained positions only; it must equal the
/// masked mean of the cross-entropy over full logits, in value and in adapter gradients.
final class TrainingLossTests: XCTestCase {
    func testLossOnTrainedPositionsEqualsMaskedFullLogitLoss() throws {
        let model = try LlamaTestSupport.model().model
        let lora = LoRAConfig(rank: 4, alpha: 8)
        var adapters = try model.makeAdapters(modules: ["self_attn.q_proj", "mlp.down_proj"], layers: [28, 29], lora: lora,
                                              key: RandomKey(seed: 3))
        // Non-zero B so both factors get gradients.
        adapters = ParameterTree(flattened: adapters.flattened().map { item in
            item.path.hasSuffix("lora_b") ? (item.path, Tensor.normal(item.tensor.shape, key: RandomKey(seed: 5)) * 0.01) : item
        })
        let (batchSize, length) = (2, 7)
        let inputs: [Int32] = (0..<(batchSize * length)).map { Int32(($0 * 7919) % 4000 + 20) }
        let targets: [Int32] = (0..<(batchSize * length)).map { Int32(($0 * 104_729) % 4000 + 20) }
        // Prompt positions and right padding are masked out.
        let mask = (0..<(batchSize * length)).map { i in (i % length) >= 3 && !(i >= length && i % length == 6) }
        let batch = TrainingBatch(batchSize: batchSize, length: length, inputIDs: inputs, targetIDs: targets, lossMask: mask,
                                  rowLengths: [7, 6], exampleIndices: [0, 1], position: BatchPosition())
        let (loss, grads) = valueAndGrad(adapters) { p in model.loss(batch, adapters: p, lora: lora, dropoutKey: nil) }
        let (full, fullGrads) = valueAndGrad(adapters) { p in
            Tensor.crossEntropy(logits: model.logits(batch.inputs, adapters: p, lora: lora, dropoutKey: nil),
                                targets: batch.targets, mask: batch.mask)
        }
        XCTAssertEqual(loss.item(Double.self), full.item(Double.self), accuracy: 1e-5 * full.item(Double.self))
        for (item, reference) in zip(grads.flattened(), fullGrads.flattened()) {
            XCTAssertEqual(item.path, reference.path)
            let a = item.tensor.toArray(as: Float.self), b = reference.tensor.toArray(as: Float.self)
            XCTAssertLessThan(LlamaTestSupport.relativeError(a, b), 1e-4, item.path)
            XCTAssertGreaterThan(b.map { Swift.abs($0) }.max()!, 0, "\(item.path) gets a gradient")
        }
    }
}
