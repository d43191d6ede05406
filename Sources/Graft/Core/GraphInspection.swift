/// Counts the primitives, by name, that evaluating `tensors` would run.
///
/// Useful to check what a transformation built: for instance that a frozen weight gets no
/// gradient computation.
public func graphOperations(_ tensors: [Tensor]) -> [String: Int] {
    var counts: [String: Int] = [:]
    for node in Scheduler.topologicalOrder(tensors.map(\.node)) {
        counts[node.primitive!.name, default: 0] += 1
        node.pendingUses = 0
    }
    return counts
}
