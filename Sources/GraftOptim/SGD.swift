import Graft

/// Stochastic gradient descent with optional momentum and (coupled) weight decay, as
/// PyTorch's `SGD` with dampening 0: `g ← g + λθ`, `b ← μb + g`, `θ ← θ − lr·b`.
public final class SGD: Optimizer {
    public var learningRate: Double
    public let momentum: Double
    public let weightDecay: Double
    public private(set) var step = 0
    private var buffers: [String: Tensor] = [:]

    public init(learningRate: Double, momentum: Double = 0, weightDecay: Double = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public func update(_ parameters: ParameterTree, gradients: ParameterTree) -> ParameterTree {
        step += 1
        var out: [(String, Tensor)] = []
        for (path, theta) in parameters.flattened() {
            guard var g = gradients[path] else { out.append((path, theta)); continue }
            if weightDecay != 0 { g = g + theta * weightDecay }
            if momentum != 0 {
                let b = buffers[path].map { $0 * momentum + g } ?? g
                buffers[path] = b
                g = b
            }
            out.append((path, theta - g * learningRate))
        }
        return ParameterTree(flattened: out)
    }

    public var state: [String: Tensor] { buffers.mapKeys { $0 + ".momentum" } }

    public func restore(state: [String: Tensor], step: Int) throws {
        var restored: [String: Tensor] = [:]
        for (name, t) in state {
            guard name.hasSuffix(".momentum") else {
                throw OptimizerStateError(message: "SGD state entry \(name) is not a momentum buffer")
            }
            restored[String(name.dropLast(".momentum".count))] = t
        }
        buffers = restored
        self.step = step
    }
}

extension Dictionary {
    func mapKeys<K: Hashable>(_ f: (Key) -> K) -> [K: Value] {
        Dictionary<K, Value>(uniqueKeysWithValues: map { (f($0.key), $0.value) })
    }
}
