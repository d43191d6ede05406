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
    let fused = Fusion.plan(order)
    for node in order where !fused.members.contains(ObjectIdentifier(node)) {
        var consumed = node.inputs
        if let program = fused.programs[ObjectIdentifier(node)] {
            let out = node.allocate()
            program.run(count: node.count, output: out.pointer(Float.self))
            node.buffer = out
            consumed = program.members.flatMap(\.inputs)
        } else {
            node.buffer = node.primitive!.forward(node.inputs, output: node)
        }
        for input in consumed where input.primitive != nil {
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

/// Which elementwise nodes run fused: `programs` by root node, `members` computed inside them.
enum Fusion {
    struct Plan {
        var programs: [ObjectIdentifier: ElementwiseProgram] = [:]
        var members: Set<ObjectIdentifier> = []
    }

    /// A node joins its consumer's program when both are fusible elementwise float32 nodes of
    /// the same shape and the consumer is its only use in this evaluation (outputs carry a
    /// large use count and so never join).
    static func plan(_ order: [Node]) -> Plan {
        var plan = Plan()
        var consumer: [ObjectIdentifier: Node] = [:]
        for node in order {
            for input in node.inputs where input.primitive != nil { consumer[ObjectIdentifier(input)] = node }
        }
        func joins(_ n: Node) -> Bool {
            guard n.primitive != nil, n.buffer == nil, n.pendingUses == 1, ElementwiseProgram.accepts(n),
                  let c = consumer[ObjectIdentifier(n)], c.shape == n.shape, ElementwiseProgram.accepts(c) else { return false }
            return true
        }
        for node in order.reversed() where ElementwiseProgram.accepts(node) && !plan.members.contains(ObjectIdentifier(node)) {
            let program = ElementwiseProgram(root: node, fusible: joins)
            plan.programs[ObjectIdentifier(node)] = program
            for m in program.members where m !== node { plan.members.insert(ObjectIdentifier(m)) }
        }
        return plan
    }
}

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
