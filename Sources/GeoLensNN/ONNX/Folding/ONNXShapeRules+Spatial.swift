import GeoLensTensor

/// Shape rules with spatial arithmetic: convolutions, pooling, resizing, padding and slicing.
extension ONNXShapeRules {
    static func spatial(_ node: ONNXNode, _ ctx: ONNXFoldingContext, opset: Int,
                        attributes: ONNXResolvedAttributes) throws -> ONNXInferredNode {
        var attrs = attributes
        let input = try ctx.shape(node, 0)
        guard input.count >= 3 || node.opType == "Pad" else {
            throw ONNXShapeMath.fail(node, "expects an N x C x spatial input, got \(input)")
        }
        let spatialRank = max(input.count - 2, 0)
        func result(_ shape: [Int], consumed: Set<Int> = []) -> ONNXInferredNode {
            var shapes = [shape], types = [ctx.type(node, 0)]
            if node.opType == "MaxPool" && node.outputs.count > 1 { shapes.append(shape); types.append(.int64) }
            return ONNXInferredNode(outputShapes: shapes, outputTypes: types, attributes: attrs, consumedInputs: consumed)
        }
        switch node.opType {
        case "GlobalAveragePool":
            return result(Array(input[..<2]) + Array(repeating: 1, count: spatialRank))
        case "Conv", "ConvTranspose", "MaxPool", "AveragePool":
            let isConv = node.opType.hasPrefix("Conv")
            let weight = isConv ? try ctx.shape(node, 1) : []
            guard let kernel = try node.ints("kernel_shape") ?? (isConv ? Array(weight.dropFirst(2)) : nil),
                  kernel.count == spatialRank else {
                throw ONNXShapeMath.fail(node, "kernel_shape is missing or does not match input \(input)")
            }
            let strides = try node.ints("strides") ?? Array(repeating: 1, count: spatialRank)
            let dilations = try node.ints("dilations") ?? Array(repeating: 1, count: spatialRank)
            var pads = try node.ints("pads") ?? Array(repeating: 0, count: 2 * spatialRank)
            let autoPad = try node.string("auto_pad", default: "NOTSET")
            guard strides.count == spatialRank, dilations.count == spatialRank, pads.count == 2 * spatialRank else {
                throw ONNXShapeMath.fail(node, "strides \(strides), dilations \(dilations) or pads \(pads) do not match input \(input)")
            }
            // Attribute values come from the file: bounded here so the arithmetic below cannot
            // divide by zero or overflow.
            let bound = ONNXShapeMath.attributeLimit
            guard kernel.allSatisfy({ $0 > 0 && $0 <= bound }), strides.allSatisfy({ $0 > 0 && $0 <= bound }),
                  dilations.allSatisfy({ $0 > 0 && $0 <= bound }), pads.allSatisfy({ $0 >= 0 && $0 <= bound }) else {
                throw ONNXShapeMath.fail(node, "kernel_shape \(kernel), strides \(strides), dilations \(dilations) and pads \(pads) "
                                         + "must be positive (pads non-negative) and at most \(bound)")
            }
            var channels = input[1]
            var out = [Int](repeating: 0, count: spatialRank)
            if node.opType == "ConvTranspose" {
                let group = try node.int("group", default: 1)
                let outputPadding = try node.ints("output_padding") ?? Array(repeating: 0, count: spatialRank)
                let requested = try node.ints("output_shape")
                guard weight.count == input.count, group > 0, group <= bound,
                      outputPadding.count == spatialRank, outputPadding.allSatisfy({ $0 >= 0 && $0 <= bound }),
                      requested.map({ $0.count >= spatialRank }) ?? true else {
                    throw ONNXShapeMath.fail(node, "weight \(weight), group \(group), output_padding \(outputPadding) or "
                                             + "output_shape \(requested ?? []) does not fit input \(input)")
                }
                channels = weight[1] * group
                for i in 0 ..< spatialRank {
                    let span = (kernel[i] - 1) * dilations[i] + 1
                    let full = strides[i] * (input[2 + i] - 1) + outputPadding[i] + span
                    if let requested {
                        out[i] = requested[requested.count - spatialRank + i]
                        let total = full - out[i]
                        pads[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                        pads[i + spatialRank] = total - pads[i]
                    } else if autoPad.hasPrefix("SAME") {
                        out[i] = input[2 + i] * strides[i]
                        let total = full - out[i]
                        pads[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                        pads[i + spatialRank] = total - pads[i]
                    } else {
                        out[i] = full - pads[i] - pads[i + spatialRank]
                    }
                }
                attrs.ints["output_padding"] = outputPadding
            } else {
                if isConv {
                    let group = try node.int("group", default: 1)
                    guard weight.count == input.count, group > 0, group <= bound, weight[1] * group == input[1] else {
                        throw ONNXShapeMath.fail(node, "weight \(weight) with group \(group) does not fit input \(input)")
                    }
                    channels = weight[0]
                    attrs.ints["group"] = [group]
                }
                let ceilMode = try node.int("ceil_mode", default: 0) != 0
                for i in 0 ..< spatialRank {
                    let size = input[2 + i], span = (kernel[i] - 1) * dilations[i] + 1
                    if autoPad.hasPrefix("SAME") {
                        out[i] = (size + strides[i] - 1) / strides[i]
                        let total = max((out[i] - 1) * strides[i] + span - size, 0)
                        pads[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                        pads[i + spatialRank] = total - pads[i]
                    } else {
                        if autoPad == "VALID" { pads[i] = 0; pads[i + spatialRank] = 0 }
                        let padded = size + pads[i] + pads[i + spatialRank] - span
                        out[i] = (ceilMode ? (padded + strides[i] - 1) / strides[i] : padded / strides[i]) + 1
                        // A window may not start inside the end padding (PyTorch's and onnxruntime's rule).
                        if ceilMode && (out[i] - 1) * strides[i] >= size + pads[i] { out[i] -= 1 }
                    }
                }
                attrs.ints["ceil_mode"] = [ceilMode ? 1 : 0]
            }
            guard out.allSatisfy({ $0 > 0 }) else {
                throw ONNXShapeMath.fail(node, "input \(input) is too small for kernel \(kernel) with strides \(strides), dilations \(dilations) and pads \(pads)")
            }
            attrs.ints["kernel_shape"] = kernel
            attrs.ints["strides"] = strides
            attrs.ints["dilations"] = dilations
            attrs.ints["pads"] = pads
            attrs.strings["auto_pad"] = "NOTSET"
            return result([input[0], channels] + out)
        case "Resize", "Upsample":
            let isUpsample = node.opType == "Upsample"
            let scalesIndex = isUpsample ? 1 : 2
            // Opset 18 attributes GeoLens does not implement are refused rather than ignored.
            if try node.int("antialias", default: 0) != 0 {
                throw ONNXError(.unsupportedOperators, "Resize node '\(node.name)' sets antialias=1; GeoLens resizes without antialiasing")
            }
            let policy = try node.string("keep_aspect_ratio_policy", default: "stretch")
            if policy != "stretch" {
                throw ONNXError(.unsupportedOperators, "Resize node '\(node.name)' uses keep_aspect_ratio_policy '\(policy)'; GeoLens supports stretch")
            }
            var out = input
            let axes = try node.ints("axes").map { try $0.map { try ONNXShapeMath.axis($0, rank: input.count, node: node) } }
                ?? Array(input.indices)
            if !isUpsample, let sizes = try ctx.optionalInts(node, 3, "sizes") {
                guard sizes.count == axes.count else { throw ONNXShapeMath.fail(node, "sizes \(sizes) do not match axes \(axes)") }
                for (a, s) in zip(axes, sizes) { out[a] = s }
            } else {
                guard let scales = ctx.constant(node, scalesIndex)?.floats, scales.count == axes.count,
                      scales.allSatisfy({ $0.isFinite && $0 > 0 && $0 < 1e6 }) else {
                    throw ONNXShapeMath.fail(node, "needs constant positive scales or sizes (one per axis of \(input))")
                }
                for (a, s) in zip(axes, scales) { out[a] = Int((Float(input[a]) * s).rounded(.down)) }
            }
            attrs.ints["sizes"] = out
            attrs.floats["scales"] = ctx.constant(node, scalesIndex).map { $0.count == input.count ? $0.floats : nil } ?? nil
                ?? input.indices.map { Float(out[$0]) / Float(max(input[$0], 1)) }
            attrs.strings["mode"] = try node.string("mode", default: "nearest")
            if !isUpsample {
                attrs.strings["coordinate_transformation_mode"] = try node.string("coordinate_transformation_mode", default: "half_pixel")
                attrs.strings["nearest_mode"] = try node.string("nearest_mode", default: "round_prefer_floor")
            }
            return result(out, consumed: isUpsample ? [1] : [1, 2, 3])
        default: // Pad
            let given = opset >= 11 ? try ctx.requireInts(node, 1, "pads") : (try node.ints("pads") ?? [])
            let axes = opset >= 18 ? try ctx.optionalInts(node, 3, "axes") : nil
            let padAxes = try (axes ?? Array(input.indices)).map { try ONNXShapeMath.axis($0, rank: input.count, node: node) }
            guard given.count == 2 * padAxes.count else { throw ONNXShapeMath.fail(node, "pads \(given) do not fit input \(input)") }
            var pads = [Int](repeating: 0, count: 2 * input.count)
            for (k, a) in padAxes.enumerated() {
                pads[a] = given[k]
                pads[a + input.count] = given[k + padAxes.count]
            }
            guard pads.allSatisfy({ abs($0) <= ONNXShapeMath.attributeLimit }) else {
                throw ONNXShapeMath.fail(node, "pads \(pads) exceed \(ONNXShapeMath.attributeLimit) pixels")
            }
            let out = input.indices.map { input[$0] + pads[$0] + pads[$0 + input.count] }
            guard out.allSatisfy({ $0 >= 0 }) else { throw ONNXShapeMath.fail(node, "pads \(pads) remove more than input \(input) holds") }
            attrs.ints["pads"] = pads
            attrs.floats["value"] = [opset >= 11 ? (ctx.constant(node, 2)?.floats.first ?? 0) : try node.float("value", default: 0)]
            attrs.strings["mode"] = try node.string("mode", default: "constant")
            return result(out, consumed: [1, 2, 3])
        }
    }

    /// Slice with per-axis start, end and step resolved and clamped as the ONNX specification says,
    /// written for every axis (untouched axes get 0, dim, 1).
    static func slice(_ node: ONNXNode, _ ctx: ONNXFoldingContext, attributes: ONNXResolvedAttributes) throws -> ONNXInferredNode {
        var attrs = attributes
        let input = try ctx.shape(node, 0)
        let starts = try ctx.requireInts(node, 1, "starts"), ends = try ctx.requireInts(node, 2, "ends")
        let axes = try (try ctx.optionalInts(node, 3, "axes") ?? Array(starts.indices)).map { try ONNXShapeMath.axis($0, rank: input.count, node: node) }
        let steps = try ctx.optionalInts(node, 4, "steps") ?? Array(repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count, !steps.contains(0) else {
            throw ONNXShapeMath.fail(node, "starts \(starts), ends \(ends), axes \(axes) and steps \(steps) do not agree")
        }
        var fullStarts = [Int](repeating: 0, count: input.count), fullEnds = input, fullSteps = [Int](repeating: 1, count: input.count)
        var out = input
        for (k, a) in axes.enumerated() {
            let dim = input[a], step = steps[k]
            var start = starts[k] < 0 ? starts[k] + dim : starts[k]
            var end = ends[k] < 0 ? (ends[k] == Int.min ? -1 : ends[k] + dim) : ends[k]
            if step > 0 {
                start = min(max(start, 0), dim)
                end = min(max(end, 0), dim)
                out[a] = max((end - start + step - 1) / step, 0)
            } else {
                start = min(max(start, 0), dim - 1)
                end = min(max(end, -1), dim - 1)
                out[a] = max((start - end - step - 1) / -step, 0)
            }
            fullStarts[a] = start
            fullEnds[a] = end
            fullSteps[a] = step
        }
        attrs.ints["starts"] = fullStarts
        attrs.ints["ends"] = fullEnds
        attrs.ints["steps"] = fullSteps
        return ONNXInferredNode(outputShapes: [out], outputTypes: [ctx.type(node, 0)], attributes: attrs, consumedInputs: [1, 2, 3, 4])
    }
}
