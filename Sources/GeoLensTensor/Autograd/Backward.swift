/// Reverse-mode differentiation over the recorded tape.
///
/// `gradients(of: y, wrt: [a, b])` returns dy/da and dy/db for any tensors `a`, `b`
/// that `y` was computed from: watched inputs, parameters, or intermediate values
/// (the activations GradCAM needs). A target with several elements is seeded with
/// ones (the gradient of `y.sum()`) unless `seed` is given.
public func gradients(of y: Tensor, seed: Tensor? = nil, wrt targets: [Tensor]) -> [Tensor] {
    if let seed {
        precondition(seed.shape == y.shape, "gradients: seed shape \(seed.shape) differs from output shape \(y.shape)")
    }
    guard let root = y.node else {
        return targets.map { Tensor(zeros: $0.shape) }
    }
    let wanted = Set(targets.compactMap { $0.node.map(ObjectIdentifier.init) })
    let order = topologicalOrder(from: root)

    var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed?.detached() ?? Tensor(shape: y.shape, repeating: 1)]
    GradientMode.withoutRecording {
        for node in order.reversed() {
            let id = ObjectIdentifier(node)
            guard let g = grads[id], let pullback = node.pullback else { continue }
            // Free gradients of intermediate values as soon as they are consumed.
            if !wanted.contains(id) { grads[id] = nil }
            let needs = node.inputs.map { $0 != nil }
            let inputGrads = pullback(g, needs)
            precondition(inputGrads.count == node.inputs.count,
                         "gradients: pullback of \(node.op) returned \(inputGrads.count) gradients for \(node.inputs.count) inputs")
            for (input, grad) in zip(node.inputs, inputGrads) {
                guard let input, let grad else { continue }
                precondition(grad.shape == input.shape,
                             "gradients: pullback of \(node.op) gave shape \(grad.shape) for an input of shape \(input.shape)")
                let key = ObjectIdentifier(input)
                if let existing = grads[key] {
                    grads[key] = existing.adding(grad)
                } else {
                    grads[key] = grad
                }
            }
        }
    }
    return targets.map { t in
        t.node.flatMap { grads[ObjectIdentifier($0)] } ?? Tensor(zeros: t.shape)
    }
}

/// Nodes reachable from `root`, each after all of its inputs (iterative DFS: deep nets do not overflow the stack).
private func topologicalOrder(from root: GradNode) -> [GradNode] {
    var order: [GradNode] = []
    var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
    var stack: [(node: GradNode, nextInput: Int)] = [(root, 0)]
    while !stack.isEmpty {
        let (node, next) = stack[stack.count - 1]
        if next < node.inputs.count {
            stack[stack.count - 1].nextInput += 1
            if let input = node.inputs[next], visited.insert(ObjectIdentifier(input)).inserted {
                stack.append((input, 0))
            }
        } else {
            order.append(node)
            stack.removeLast()
        }
    }
    return order
}
