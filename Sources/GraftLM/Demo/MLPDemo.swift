import Foundation
import Graft
import GraftNN
import GraftOptim

/// A small end-to-end run of the engine: a two-layer MLP learns to tell apart the arms of a
/// generated three-armed spiral, trained with AdamW on cross-entropy.
public struct MLPDemo {
    public var steps = 600
    public var hidden = 128
    public var batchSize = 256
    public var learningRate = 1e-2
    public var seed: UInt64 = 0

    public init() {}

    /// One reported point of the run.
    public struct Report { public let step: Int; public let loss: Double; public let accuracy: Double }

    /// Three interleaved spiral arms in 2-D with a little noise: `points [n, 2]`, `labels [n]`.
    public static func spirals(count: Int, key: RandomKey) -> (points: Tensor, labels: Tensor) {
        let noise = Tensor.normal([count, 2], std: 0.08, key: key).toArray()
        var points = [Float](repeating: 0, count: count * 2)
        var labels = [Int32](repeating: 0, count: count)
        for i in 0..<count {
            let arm = i % 3
            let r = Float(i / 3) / Float(count / 3)
            let angle = 4 * r + Float(arm) * 2 * .pi / 3
            points[2 * i] = r * Foundation.cos(angle) + noise[2 * i]
            points[2 * i + 1] = r * Foundation.sin(angle) + noise[2 * i + 1]
            labels[i] = Int32(arm)
        }
        return (Tensor(points, shape: [count, 2]), Tensor(labels))
    }

    /// Logits of the MLP for `x [n, 2]`.
    public static func forward(_ p: ParameterTree, _ x: Tensor) -> Tensor {
        let h = Linear.apply(p.subtree("hidden")!, x).silu()
        return Linear.apply(p.subtree("output")!, h)
    }

    /// Trains and calls `report` every `every` steps (and at the end).
    public func run(every: Int = 25, report: (Report) -> Void) {
        let keys = RandomKey(seed: seed).split(into: 4)
        let (x, y) = MLPDemo.spirals(count: 3000, key: keys[0])
        var params = ParameterTree.dict([
            "hidden": Linear.parameters(inputs: 2, outputs: hidden, key: keys[1]),
            "output": Linear.parameters(inputs: hidden, outputs: 3, key: keys[2]),
        ])
        eval(params.tensors)
        let optimizer = AdamW(learningRate: learningRate, weightDecay: 1e-4)
        let batchKeys = RandomKey(seed: seed &+ 1).split(into: steps)
        for step in 1...steps {
            let idx = (Tensor.uniform([batchSize], key: batchKeys[step - 1]) * 3000).astype(.int32)
            let bx = x.take(idx), by = y.take(idx)
            let (loss, grads) = valueAndGrad(params) { p in
                Tensor.crossEntropy(logits: MLPDemo.forward(p, bx), targets: by)
            }
            params = optimizer.update(params, gradients: grads)
            eval([loss] + params.tensors + Array(optimizer.state.values))
            if step % every == 0 || step == steps {
                let predicted = MLPDemo.forward(params, x).argmax(axis: -1)
                let accuracy = (predicted .== y).astype(.float32).mean().item(Double.self)
                report(Report(step: step, loss: loss.item(Double.self), accuracy: accuracy))
            }
        }
    }
}
