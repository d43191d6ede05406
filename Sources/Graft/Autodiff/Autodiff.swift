/// Reverse-mode differentiation over the lazy graph.
///
/// The function runs once, building its graph lazily; the graph is walked backwards from the
/// output calling each primitive's vjp, which returns new lazy tensors. Only nodes on a path
/// from a differentiated input to the output get backward work, and a primitive is asked only
/// for the input cotangents it needs (a frozen weight never gets a gradient). Values and
/// gradients are evaluated together by the caller's `eval`.
enum Backprop {
    /// Cotangents of `output` with respect to `inputs` (zeros for inputs it does not use).
    static func gradients(of output: Tensor, wrt inputs: [Tensor], cotangent: Tensor) -> [Tensor] {
        let wanted = Set(inputs.map { ObjectIdentifier($0.node) })
        // Gradients stop at the differentiated inputs: what produced them is not walked.
        let order = Scheduler.fullOrder([output.node], stopAt: wanted)
        var index: [ObjectIdentifier: Int] = [:]
        for (i, n) in order.enumerated() { index[ObjectIdentifier(n)] = i }
        var needs = [Bool](repeating: false, count: order.count)
        for (i, n) in order.enumerated() {
            let id = ObjectIdentifier(n)
            needs[i] = wanted.contains(id) || n.inputs.contains { needs[index[ObjectIdentifier($0)]!] }
        }
        var cotangents = [Tensor?](repeating: nil, count: order.count)
        cotangents[order.count - 1] = cotangent
        for i in stride(from: order.count - 1, through: 0, by: -1) {
            let node = order[i]
            guard needs[i], let g = cotangents[i], let primitive = node.primitive,
                  !wanted.contains(ObjectIdentifier(node)) else { continue }
            let inputNeeds = node.inputs.map { needs[index[ObjectIdentifier($0)]!] }
            if !inputNeeds.contains(true) { continue }
            let grads = primitive.vjp(node.inputs.map(Tensor.init(node:)), output: Tensor(node: node),
                                      cotangent: g, needs: inputNeeds)
            for (k, input) in node.inputs.enumerated() where inputNeeds[k] {
                guard let gk = grads[k] else { continue }
                let j = index[ObjectIdentifier(input)]!
                cotangents[j] = cotangents[j].map { $0 + gk } ?? gk
            }
        }
        return inputs.map { t in
            index[ObjectIdentifier(t.node)].flatMap { cotangents[$0] } ?? t.zerosLike()
        }
    }
}

/// The value of `f` at `params` and its gradient with respect to every tensor of `params`,
/// as a tree of the same structure. `f` must return a scalar.
public func valueAndGrad(_ params: ParameterTree, _ f: (ParameterTree) -> Tensor) -> (value: Tensor, grads: ParameterTree) {
    let flat = params.flattened()
    let value = f(params)
    guard value.size == 1 else {
        return (value, ParameterTree(flattened: flat.map {
            ($0.path, Tensor.failed(GraftError("grad", "function must return a scalar, got shape \(value.shape)")))
        }))
    }
    let grads = Backprop.gradients(of: value, wrt: flat.map(\.tensor), cotangent: value.onesLike())
    return (value, ParameterTree(flattened: zip(flat, grads).map { ($0.path, $1) }))
}

/// The gradient of scalar `f` with respect to every tensor of `params`.
public func grad(_ params: ParameterTree, _ f: (ParameterTree) -> Tensor) -> ParameterTree {
    valueAndGrad(params, f).grads
}

/// The value of `f` and its gradients with respect to a list of tensors.
public func valueAndGrad(_ inputs: [Tensor], _ f: ([Tensor]) -> Tensor) -> (value: Tensor, grads: [Tensor]) {
    let value = f(inputs)
    guard value.size == 1 else {
        return (value, inputs.map { _ in Tensor.failed(GraftError("grad", "function must return a scalar, got shape \(value.shape)")) })
    }
    return (value, Backprop.gradients(of: value, wrt: inputs, cotangent: value.onesLike()))
}

/// Vector-Jacobian product of `output` with respect to `inputs` for a given cotangent
/// (any output shape). Used by fused primitives to differentiate their composite form.
public func vjp(of output: Tensor, wrt inputs: [Tensor], cotangent: Tensor) -> [Tensor] {
    Backprop.gradients(of: output, wrt: inputs, cotangent: cotangent)
}
