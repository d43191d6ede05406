import Graft

/// Updates parameters from gradients. State (moments) is kept per key path, so the tree may
/// be rebuilt between steps as long as paths stay the same.
public protocol Optimizer: AnyObject {
    /// Learning rate used by the next `update`.
    var learningRate: Double { get set }
    /// Number of updates made so far.
    var step: Int { get }
    /// The updated parameters (lazy: evaluate them, e.g. with the loss, to materialise).
    func update(_ parameters: ParameterTree, gradients: ParameterTree) -> ParameterTree
    /// Every state tensor by name, for checkpoints and for evaluating with the parameters.
    var state: [String: Tensor] { get }
    /// Restores `state` (as returned by `state`) and the update count, to resume a run.
    func restore(state: [String: Tensor], step: Int) throws
}

/// State that does not fit the optimizer (a checkpoint from another optimizer or model).
public struct OptimizerStateError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Gradients scaled so that their global L2 norm is at most `maxNorm`; also returns the norm
/// before clipping.
public func clipGradientNorm(_ grads: ParameterTree, maxNorm: Double) -> (ParameterTree, Tensor) {
    let tensors = grads.tensors
    guard let first = tensors.first else { return (grads, Tensor(Float(0))) }
    var total = first.square().sum()
    for t in tensors.dropFirst() { total = total + t.square().sum() }
    let norm = total.sqrt()
    let scale = Tensor.minimum(norm.onesLike(), maxNorm / (norm + 1e-6))
    return (grads.map { $0 * scale.astype($0.dtype) }, norm)
}
