import GeoLensTensor

/// Makes an `ONNXExecutionPlan` for concrete input shapes: orders the nodes, infers every
/// tensor's shape, evaluates the constant parts of the graph (the shape subgraph, Cast of
/// float16 weights, ...), resolves the remaining steps' attributes to plain numbers, drops
/// steps no output depends on, and records fusable Conv pairs.
struct ONNXGraphFolder {
    let graph: ONNXGraph
    let opsetVersion: Int

    /// Checks caller-given shapes against the graph inputs; inputs not given take their declared
    /// fixed shape.
    static func resolveInputShapes(_ given: [String: [Int]], graph: ONNXGraph) throws -> [String: [Int]] {
        if let unknown = given.keys.first(where: { key in !graph.inputs.contains { $0.name == key } }) {
            throw ONNXError(.inputShape, "the model has no input named '\(unknown)'; its inputs are \(graph.inputs.map(\.name))")
        }
        var resolved: [String: [Int]] = [:]
        for input in graph.inputs {
            let declared = input.shape
            if let shape = given[input.name] {
                if let declared {
                    let fits = declared.count == shape.count && zip(declared, shape).allSatisfy { $0.value == nil || $0.value == $1 }
                    guard fits, shape.allSatisfy({ $0 > 0 }) else {
                        throw ONNXError(.inputShape, "input '\(input.name)' is declared as \(declared) but shape \(shape) was given; give a shape matching its fixed dimensions")
                    }
                }
                resolved[input.name] = shape
            } else if let declared, declared.allSatisfy({ $0.value != nil }) {
                resolved[input.name] = declared.map { $0.value! }
            } else {
                throw ONNXError(.inputShape, "input '\(input.name)' has symbolic shape \(declared.map { "\($0)" } ?? "unknown"); give its concrete shape")
            }
        }
        for (name, shape) in resolved {
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard d >= 0, !overflow, product <= ONNXShapeMath.maximumElements || shape.contains(0) else {
                    throw ONNXError(.inputShape, "input '\(name)' has shape \(shape), more than the \(ONNXShapeMath.maximumElements) "
                                    + "elements GeoLens allocates for one tensor; the file is corrupt or the shape is wrong")
                }
                count = product
            }
        }
        return resolved
    }

    func plan(inputShapes: [String: [Int]]) throws -> ONNXExecutionPlan {
        var ctx = ONNXFoldingContext()
        for (name, value) in graph.initializers { ctx.setConstant(name, value) }
        for input in graph.inputs {
            ctx.shapes[input.name] = inputShapes[input.name]
            ctx.types[input.name] = input.elementType
        }
        var steps: [ONNXPlanStep] = []
        var folded = 0
        for node in try topologicalOrder() {
            let inferred = try ONNXShapeRules.infer(node, ctx, opset: opsetVersion)
            try ONNXShapeMath.checkSizes(inferred.outputShapes, node: node)
            guard inferred.outputShapes.count >= node.outputs.filter({ !$0.isEmpty }).count else {
                throw ONNXShapeMath.fail(node, "has \(node.outputs.count) outputs but GeoLens knows the shapes of \(inferred.outputShapes.count)")
            }
            if ONNXConstantEvaluator.canFold(node, ctx, inferred) {
                let values = try ONNXConstantEvaluator.evaluate(node, ctx, inferred)
                for (name, value) in zip(node.outputs, values) where !name.isEmpty { ctx.setConstant(name, value) }
                folded += 1
                continue
            }
            for (k, name) in node.outputs.enumerated() where !name.isEmpty {
                ctx.shapes[name] = inferred.outputShapes[k]
                ctx.types[name] = inferred.outputTypes[k]
            }
            let inputs = node.inputs.enumerated().filter { !inferred.consumedInputs.contains($0.offset) }.map(\.element)
            steps.append(ONNXPlanStep(name: node.name, opType: node.opType, inputs: trimmed(inputs), outputs: node.outputs,
                                      outputShapes: inferred.outputShapes, attributes: inferred.attributes))
        }
        let outputs = graph.outputs.map(\.name)
        let live = liveSteps(steps, outputs: outputs)
        let used = Set(live.flatMap(\.inputs))
        return ONNXExecutionPlan(
            inputShapes: inputShapes, steps: live,
            constants: ctx.constants.filter { used.contains($0.key) || outputs.contains($0.key) },
            tensorShapes: ctx.shapes, outputs: outputs,
            fusions: ONNXFusionFinder.fusions(in: live, outputs: outputs), foldedNodeCount: folded)
    }

    /// Nodes in an order where producers come before consumers (file order when already so).
    func topologicalOrder() throws -> [ONNXNode] {
        var producer: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() { for name in node.outputs where !name.isEmpty { producer[name] = i } }
        var dependents = [[Int]](repeating: [], count: graph.nodes.count)
        var pending = [Int](repeating: 0, count: graph.nodes.count)
        for (i, node) in graph.nodes.enumerated() {
            for name in Set(node.inputs) where !name.isEmpty {
                if let p = producer[name], p != i { dependents[p].append(i); pending[i] += 1 }
            }
        }
        // Ready nodes are taken lowest index first so an already sorted file keeps its order.
        var ready = pending.indices.filter { pending[$0] == 0 }.reversed() as [Int]
        var order: [ONNXNode] = []
        while let i = ready.popLast() {
            order.append(graph.nodes[i])
            for d in dependents[i] {
                pending[d] -= 1
                if pending[d] == 0 { ready.append(d); ready.sort(by: >) }
            }
        }
        guard order.count == graph.nodes.count else {
            let stuck = pending.indices.filter { pending[$0] > 0 }.prefix(5).map { graph.nodes[$0].name }
            throw ONNXError(.malformedModel, "the graph has a cycle through nodes \(stuck); the model file is corrupt")
        }
        return order
    }

    /// Steps the graph outputs depend on, in order.
    private func liveSteps(_ steps: [ONNXPlanStep], outputs: [String]) -> [ONNXPlanStep] {
        var needed = Set(outputs)
        var keep = [Bool](repeating: false, count: steps.count)
        for i in steps.indices.reversed() where steps[i].outputs.contains(where: needed.contains) {
            keep[i] = true
            needed.formUnion(steps[i].inputs.filter { !$0.isEmpty })
        }
        return steps.indices.filter { keep[$0] }.map { steps[$0] }
    }

    /// Drops trailing omitted inputs.
    private func trimmed(_ inputs: [String]) -> [String] {
        var result = inputs
        while result.last == "" { result.removeLast() }
        return result
    }
}
