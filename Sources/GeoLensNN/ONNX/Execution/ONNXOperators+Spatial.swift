import GeoLensTensor

/// Convolutions, pooling, resizing, padding and normalisation on NCHW tensors.
extension ONNXOperators {
    static func spatial(_ step: ONNXPlanStep, _ x: Tensor, _ inputs: [Tensor?]) throws -> Tensor {
        let a = step.attributes
        func optional(_ i: Int) -> Tensor? { i < inputs.count ? inputs[i] : nil }
        guard x.shape.count == 4 || step.opType.hasSuffix("Normalization") || step.opType == "Pad" else {
            throw ONNXError(.shapeInference, "step '\(step.name)' (\(step.opType)) runs on 4-D NCHW tensors in GeoLens, "
                + "not on \(x.shape); export a 2-D model")
        }
        switch step.opType {
        case "Conv":
            guard let weight = optional(1) else { throw ONNXError(.invalidAttribute, "Conv step '\(step.name)' has no weight") }
            let g = geometry(a)
            return x.conv2d(weight: weight, bias: optional(2), stride: g.stride, padding: g.padding,
                            dilation: g.dilation, groups: a.int("group") ?? 1)
        case "ConvTranspose":
            guard let weight = optional(1) else { throw ONNXError(.invalidAttribute, "ConvTranspose step '\(step.name)' has no weight") }
            let g = geometry(a)
            let extra = a.ints["output_padding"] ?? [0, 0]
            return x.convTranspose2d(weight: weight, bias: optional(2), stride: g.stride, padding: g.padding,
                                     outputPadding: (extra[0], extra[1]), dilation: g.dilation, groups: a.int("group") ?? 1)
        case "MaxPool":
            let g = geometry(a)
            return x.maxPool2d(kernel: g.kernel, stride: g.stride, padding: g.padding, dilation: g.dilation,
                               ceilMode: a.int("ceil_mode") == 1)
        case "AveragePool":
            let g = geometry(a)
            return x.avgPool2d(kernel: g.kernel, stride: g.stride, padding: g.padding, ceilMode: a.int("ceil_mode") == 1,
                               countIncludePad: a.int("count_include_pad") == 1)
        case "GlobalAveragePool":
            return x.globalAvgPool2d()
        case "Resize", "Upsample":
            return try resize(step, x)
        case "Pad":
            return try pad(step, x)
        case "BatchNormalization":
            guard let mean = optional(3), let variance = optional(4) else {
                throw ONNXError(.invalidAttribute, "BatchNormalization step '\(step.name)' lacks its running statistics")
            }
            return x.batchNorm(mean: mean, variance: variance, weight: optional(1), bias: optional(2), epsilon: a.float("epsilon") ?? 1e-5)
        default: // InstanceNormalization
            return x.instanceNorm(weight: optional(1), bias: optional(2), epsilon: a.float("epsilon") ?? 1e-5)
        }
    }

    /// The convolution of a fusion group: folded weights and the ReLU in the store pass.
    static func fusedConvolution(_ step: ONNXPlanStep, _ group: ONNXConvolutionGroup, _ x: Tensor) -> Tensor {
        var g = geometry(step.attributes)
        let extra = group.extraPadding
        g.padding = Padding2D(top: g.padding.top + extra[0], left: g.padding.left + extra[1],
                              bottom: g.padding.bottom + extra[2], right: g.padding.right + extra[3])
        let groups = step.attributes.int("group") ?? 1
        if let activation = group.activation {
            return x.conv2d(weight: group.weight, bias: group.bias, stride: g.stride, padding: g.padding,
                            dilation: g.dilation, groups: groups, activation: activation)
        }
        return x.conv2d(weight: group.weight, bias: group.bias, stride: g.stride, padding: g.padding,
                        dilation: g.dilation, groups: groups)
    }

    /// Kernel, strides, dilations and pads of a 2-D window operator (ONNX pads are
    /// `[top, left, bottom, right]`).
    static func geometry(_ a: ONNXResolvedAttributes)
        -> (kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int), padding: Padding2D) {
        let k = a.ints["kernel_shape"] ?? [1, 1], s = a.ints["strides"] ?? [1, 1]
        let d = a.ints["dilations"] ?? [1, 1], p = a.ints["pads"] ?? [0, 0, 0, 0]
        return ((k[0], k[1]), (s[0], s[1]), (d[0], d[1]), Padding2D(top: p[0], left: p[1], bottom: p[2], right: p[3]))
    }

    static func resize(_ step: ONNXPlanStep, _ x: Tensor) throws -> Tensor {
        let a = step.attributes
        let sizes = a.ints["sizes"] ?? x.shape
        guard sizes.count == 4 else {
            throw ONNXError(.shapeInference, "\(step.opType) step '\(step.name)' resizes \(x.shape) to \(sizes); GeoLens resizes 4-D NCHW tensors")
        }
        let isUpsample = step.opType == "Upsample"
        let modeName = a.strings["mode"] ?? "nearest"
        let mode: ResizeMode
        switch modeName {
        case "nearest":
            let rounding: NearestRounding = switch isUpsample ? "floor" : (a.strings["nearest_mode"] ?? "round_prefer_floor") {
            case "floor": .floor
            case "ceil": .ceil
            case "round_prefer_ceil": .roundPreferCeil
            default: .roundPreferFloor
            }
            mode = .nearest(rounding)
        case "linear", "bilinear": mode = .bilinear
        default:
            throw ONNXError(.unsupportedOperators, "\(step.opType) step '\(step.name)' uses mode '\(modeName)'; GeoLens resizes with nearest or linear")
        }
        let transformName = isUpsample ? "asymmetric" : (a.strings["coordinate_transformation_mode"] ?? "half_pixel")
        let transform: CoordinateTransform
        switch transformName {
        case "half_pixel": transform = .halfPixel
        case "asymmetric": transform = .asymmetric
        case "align_corners": transform = .alignCorners
        case "pytorch_half_pixel": transform = .pytorchHalfPixel
        default:
            throw ONNXError(.unsupportedOperators, "Resize step '\(step.name)' uses coordinate_transformation_mode '\(transformName)'; "
                + "GeoLens supports half_pixel, pytorch_half_pixel, asymmetric and align_corners")
        }
        let allScales = a.floats["scales"].flatMap { $0.count == 4 ? $0 : nil }
        var source = x
        for axis in 0 ..< 2 where sizes[axis] != x.shape[axis] {
            // Batch and channel axes are resized only by nearest selection (as onnxruntime does).
            guard case .nearest(let rounding) = mode else {
                throw ONNXError(.shapeInference, "\(step.opType) step '\(step.name)' resizes axis \(axis) of \(x.shape) to \(sizes) "
                    + "with mode '\(modeName)'; GeoLens interpolates only the two spatial axes")
            }
            let picks = nearestIndices(input: x.shape[axis], output: sizes[axis], scale: allScales?[axis],
                                       transform: transform, rounding: rounding)
            var shape = source.shape
            shape[axis] = picks.count
            source = gather(source, indices: Tensor(shape: [picks.count], scalars: picks.map(Float.init)), axis: axis, outShape: shape)
        }
        let scales = allScales.map { (height: $0[2], width: $0[3]) }
        return source.resized(height: sizes[2], width: sizes[3], mode: mode, coordinates: transform, scales: scales)
    }

    /// The source index of every output position of a nearest resize along one axis
    /// (ONNX coordinate transforms and rounding modes, clamped to the input).
    static func nearestIndices(input: Int, output: Int, scale given: Float?, transform: CoordinateTransform,
                               rounding: NearestRounding) -> [Int] {
        let scale = given ?? Float(output) / Float(input)
        return (0 ..< output).map { position in
            let x = Float(position)
            let coordinate: Float = switch transform {
            case .halfPixel: (x + 0.5) / scale - 0.5
            case .pytorchHalfPixel: output > 1 ? (x + 0.5) / scale - 0.5 : 0
            case .asymmetric: x / scale
            case .alignCorners: output > 1 ? x * Float(input - 1) / Float(output - 1) : 0
            }
            let fraction = coordinate - coordinate.rounded(.down)
            let index: Float = switch rounding {
            case .floor: coordinate.rounded(.down)
            case .ceil: coordinate.rounded(.up)
            case .roundPreferFloor: fraction == 0.5 ? coordinate.rounded(.down) : coordinate.rounded()
            case .roundPreferCeil: fraction == 0.5 ? coordinate.rounded(.up) : coordinate.rounded()
            }
            return min(max(Int(index), 0), input - 1)
        }
    }

    static func pad(_ step: ONNXPlanStep, _ x: Tensor) throws -> Tensor {
        let a = step.attributes
        let pads = a.ints["pads"] ?? []
        let rank = x.shape.count
        guard rank >= 2, pads.count == 2 * rank,
              (0 ..< rank - 2).allSatisfy({ pads[$0] == 0 && pads[$0 + rank] == 0 }) else {
            throw ONNXError(.shapeInference, "Pad step '\(step.name)' pads \(pads) on \(x.shape); GeoLens pads only the last two axes")
        }
        let modeName = a.strings["mode"] ?? "constant"
        let mode: PaddingMode
        switch modeName {
        case "constant": mode = .constant(a.float("value") ?? 0)
        case "reflect": mode = .reflect
        case "edge": mode = .replicate
        default: throw ONNXError(.unsupportedOperators, "Pad step '\(step.name)' uses mode '\(modeName)'; GeoLens pads with constant, reflect or edge")
        }
        let h = rank - 2, w = rank - 1
        return x.padded(Padding2D(top: pads[h], left: pads[w], bottom: pads[h + rank], right: pads[w + rank]), mode: mode)
    }
}
