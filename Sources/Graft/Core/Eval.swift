/// Materialises tensors.
///
/// Nodes run in topological order, one kernel at a time (each kernel uses every core). A
/// buffer is released right after its last consumer in this evaluation has run, unless its
/// node is a leaf or one of the requested outputs. Evaluated outputs are then detached from
/// their inputs, so the graph behind them can be freed; reading an intermediate that was
/// released later recomputes it from its inputs (random ops are keyed, so the values agree).
public func eval(_ tensors: [Tensor]) {
    Parallel.prepare()
    if hasPendingError { return }
    let order = Scheduler.topologicalOrder(tensors.map(\.node))
    if order.isEmpty { return }
    for node in tensors.map(\.node) { node.pendingUses += 1 << 40 }  // outputs are never freed
    for node in order {
        node.buffer = node.primitive!.forward(node.inputs, output: node)
        for input in node.inputs where input.primitive != nil {
            input.pendingUses -= 1
            if input.pendingUses == 0 { input.buffer = nil }
        }
    }
    for node in tensors.map(\.node) {
        node.pendingUses = 0
        if node.primitive != nil {
            node.primitive = nil
            node.inputs = []
        }
    }
}

/// Materialises tensors (variadic form).
public func eval(_ tensors: Tensor...) { eval(tensors) }

enum Scheduler {
    nonisolated(unsafe) static var generation = 0

    /// Unevaluated nodes reachable from `roots`, inputs before consumers, with `pendingUses`
    /// set to the number of edges from other nodes of the list.
    static func topologicalOrder(_ roots: [Node]) -> [Node] {
        generation += 1
        let visited = generation
        var order: [Node] = []
        var stack: [(Node, Bool)] = roots.filter { $0.buffer == nil }.map { ($0, false) }
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            if node.mark == visited { continue }
            node.mark = visited
            node.pendingUses = 0
            stack.append((node, true))
            // Visit inputs in order (pushed reversed): vjps put the incoming cotangent first,
            // so the backward chain is walked before the forward values it consumes are made,
            // and those values are produced just before their use.
            for input in node.inputs.reversed() where input.buffer == nil && input.mark != visited {
                stack.append((input, false))
            }
        }
        for node in order {
            for input in node.inputs where input.buffer == nil { input.pendingUses += 1 }
        }
        return order
    }

    /// Every node reachable from `roots` (evaluated or not), inputs before consumers; the
    /// inputs of nodes in `stopAt` are not visited.
    static func fullOrder(_ roots: [Node], stopAt: Set<ObjectIdentifier> = []) -> [Node] {
        generation += 1
        let visited = generation
        var order: [Node] = []
        var stack: [(Node, Bool)] = roots.map { ($0, false) }
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            if node.mark == visited { continue }
            node.mark = visited
            stack.append((node, true))
            if stopAt.contains(ObjectIdentifier(node)) { continue }
            for input in node.inputs where input.mark != visited { stack.append((input, false)) }
        }
        return order
    }
}
