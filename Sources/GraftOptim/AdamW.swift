import Foundation
import Graft

/// Adam with decoupled weight decay, with PyTorch's semantics by default:
/// `θ ← θ(1 − lr·λ)`, `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
/// `θ ← θ − lr·m̂ / (√v̂ + ε)` with bias-corrected m̂, v̂. `biasCorrection: false` gives MLX's
/// default (`θ ← θ − lr·m / (√v + ε)`). `weightDecay: 0` is plain Adam.
public final class AdamW: Optimizer {
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let eps: Double
    public let weightDecay: Double
    public let biasCorrection: Bool
    public private(set) var step = 0
    private var moments: [String: (m: Tensor, v: Tensor)] = [:]

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                weightDecay: Double = 0.01, biasCorrection: Bool = true) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.biasCorrection = biasCorrection
    }

    public func update(_ parameters: ParameterTree, gradients: ParameterTree) -> ParameterTree {
        step += 1
        let lr = learningRate
        let c1 = biasCorrection ? 1 - Foundation.pow(beta1, Double(step)) : 1
        let c2 = biasCorrection ? 1 - Foundation.pow(beta2, Double(step)) : 1
        var out: [(String, Tensor)] = []
        for (path, theta) in parameters.flattened() {
            guard let g = gradients[path] else { out.append((path, theta)); continue }
            let previous = moments[path] ?? (theta.zerosLike(), theta.zerosLike())
            let m = previous.m * beta1 + g * (1 - beta1)
            let v = previous.v * beta2 + g.square() * (1 - beta2)
            moments[path] = (m, v)
            var t = weightDecay != 0 ? theta * (1 - lr * weightDecay) : theta
            t = t - (m * (lr / c1)) / ((v / c2).sqrt() + eps)
            out.append((path, t))
        }
        return ParameterTree(flattened: out)
    }

    public func restore(state: [String: Tensor], step: Int) throws {
        var restored: [String: (m: Tensor, v: Tensor)] = [:]
        for (name, m) in state where name.hasSuffix(".m") {
            let path = String(name.dropLast(2))
            guard let v = state[path + ".v"], v.shape == m.shape else {
                throw OptimizerStateError(message: "AdamW state for \(path) has no matching second moment (.v)")
            }
            restored[path] = (m, v)
        }
        guard restored.count * 2 == state.count else {
            throw OptimizerStateError(message: "AdamW state has entries that are not .m/.v moments: \(state.keys.sorted().prefix(4))")
        }
        moments = restored
        self.step = step
    }

    public var state: [String: Tensor] {
        var s: [String: Tensor] = [:]
        for (path, mv) in moments {
            s[path + ".m"] = mv.m
            s[path + ".v"] = mv.v
        }
        return s
    }
}

