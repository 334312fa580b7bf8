import GeoLensTensor

/// Operators that move or select elements: concatenation, splitting, slicing, reshaping,
/// transposing, gathering and broadcasting.
extension ONNXOperators {
    static func layout(_ step: ONNXPlanStep, inputs: [Tensor?]) throws -> [Tensor] {
        let a = step.attributes
        let outShape = step.outputShapes.first ?? []
        guard let first = inputs.first ?? nil else {
            throw ONNXError(.invalidAttribute, "step '\(step.name)' (\(step.opType)) has no data input")
        }
        switch step.opType {
        case "Concat":
            let parts = inputs.compactMap { $0 }.filter { $0.count > 0 }
            return [parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: a.int("axis") ?? 0)]
        case "Split":
            return first.split(sizes: a.ints["split"] ?? [], alongAxis: a.int("axis") ?? 0)
        case "Slice":
            return [try slice(step, first)]
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze":
            return [first.reshaped(outShape)]
        case "Transpose":
            return [first.permuted(a.ints["perm"] ?? Array(first.shape.indices.reversed()))]
        case "Expand":
            return [first.shape == outShape ? first : first.broadcast(to: outShape)]
        case "Gather":
            guard inputs.count > 1, let indices = inputs[1] else {
                throw ONNXError(.invalidAttribute, "Gather step '\(step.name)' has no indices")
            }
            return [gather(first, indices: indices, axis: a.int("axis") ?? 0, outShape: outShape)]
        case "Shape":
            let dims = Array(first.shape[(a.int("start") ?? 0) ..< (a.int("end") ?? first.shape.count)])
            return [Tensor(shape: [dims.count], scalars: dims.map(Float.init))]
        default:
            throw ONNXError(.unsupportedOperators, "step '\(step.name)' has operator type \(step.opType), "
                + "which GeoLens only evaluates when its inputs are constant; this graph computes it at run time")
        }
    }

    /// Slice with the resolved per-axis starts, ends and steps (negative steps reverse).
    static func slice(_ step: ONNXPlanStep, _ input: Tensor) throws -> Tensor {
        let starts = step.attributes.ints["starts"] ?? [], ends = step.attributes.ints["ends"] ?? []
        let steps = step.attributes.ints["steps"] ?? []
        var y = input
        for axis in input.shape.indices where axis < starts.count {
            let (start, end, step) = (starts[axis], ends[axis], steps[axis])
            if step == 1 && start == 0 && end == input.shape[axis] { continue }
            if step > 0 {
                y = y.slice(alongAxis: axis, start: start, end: max(end, start), step: step)
            } else {
                // Reverse order: gather the indices start, start + step, ... (> end).
                let picked = Array(stride(from: start, to: end, by: step))
                var shape = y.shape
                shape[axis] = picked.count
                y = gather(y, indices: Tensor(shape: [picked.count], scalars: picked.map(Float.init)), axis: axis, outShape: shape)
            }
        }
        return y
    }

    /// Gather along `axis` with (constant) indices, negative indices counting from the end.
    static func gather(_ data: Tensor, indices: Tensor, axis: Int, outShape: [Int]) -> Tensor {
        let extent = data.shape[axis]
        let picks = indices.scalars.map { v -> Int in
            let i = Int(v)
            return i < 0 ? i + extent : i
        }
        precondition(picks.allSatisfy { $0 >= 0 && $0 < extent },
                     "Gather: indices \(picks) are out of range for axis \(axis) of \(data.shape)")
        let slices = picks.map { data.slice(alongAxis: axis, start: $0, end: $0 + 1) }
        if slices.isEmpty { return Tensor(zeros: outShape) }
        let joined = slices.count == 1 ? slices[0] : Tensor.concatenate(slices, alongAxis: axis)
        return joined.reshaped(outShape)
    }
}
