import GeoLensTensor
import GeoLensTestSupport
import Testing

/// Forward values and gradients of the neural-network ops against PyTorch and onnxruntime
/// (fixtures written by scripts/reference/tensor_nn.py).
@Suite("NN ops: parity with PyTorch and onnxruntime")
struct NNReferenceTests {
    @Test("Fixture cases agree", arguments: [
        "nn_activations.json", "nn_pooling.json", "nn_resize.json", "nn_padding.json", "nn_normalization.json",
    ])
    func parity(file: String) throws {
        try checkAgainstReference(file) { c, x in NNReferenceTests.evaluate(c, x) }
    }

    /// The GeoLens result for one reference case, or nil when the op is unknown.
    static func evaluate(_ c: ReferenceCase, _ x: [Tensor]) -> Tensor? {
        switch c.op {
        case "relu": return x[0].relu()
        case "leaky_relu": return x[0].leakyRelu(negativeSlope: Float(c.double("slope")))
        case "sigmoid": return x[0].sigmoid()
        case "tanh": return x[0].tanh()
        case "silu": return x[0].silu()
        case "gelu": return x[0].gelu(approximateTanh: c.bool("tanh"))
        case "hard_sigmoid": return x[0].hardSigmoid(alpha: Float(c.double("alpha")), beta: Float(c.double("beta")))
        case "hard_swish": return x[0].hardSwish()
        case "clip": return x[0].clipped(min: c.optionalFloat("min"), max: c.optionalFloat("max"))
        case "softmax": return x[0].softmax(alongAxis: c.int("axis"))
        case "log_softmax": return x[0].logSoftmax(alongAxis: c.int("axis"))
        case "max_pool2d":
            return x[0].maxPool2d(kernel: c.pair("kernel"), stride: c.pair("stride"), padding: c.symmetricPadding,
                                  dilation: c.pair("dilation"), ceilMode: c.bool("ceil"))
        case "avg_pool2d":
            return x[0].avgPool2d(kernel: c.pair("kernel"), stride: c.pair("stride"), padding: c.symmetricPadding,
                                  ceilMode: c.bool("ceil"), countIncludePad: c.bool("include_pad"))
        case "onnx_max_pool":
            return x[0].maxPool2d(kernel: c.pair("kernel"), stride: c.pair("stride"), padding: c.onnxPads,
                                  ceilMode: c.bool("ceil"))
        case "onnx_avg_pool":
            return x[0].avgPool2d(kernel: c.pair("kernel"), stride: c.pair("stride"), padding: c.onnxPads,
                                  ceilMode: c.bool("ceil"), countIncludePad: c.bool("include_pad"))
        case "global_avg_pool2d": return x[0].globalAvgPool2d()
        case "adaptive_avg_pool2d": return x[0].adaptiveAvgPool2d(outputSize: c.pair("size"))
        case "upsample":
            return x[0].upsampled(height: c.int("height"), width: c.int("width"), bilinear: c.bool("bilinear"),
                                  alignCorners: c.bool("align_corners"))
        case "resize": return resize(c, x[0])
        case "pad": return x[0].padded(c.padding, mode: c.paddingMode)
        default: return evaluateNormalization(c, x)
        }
    }

    static func evaluateNormalization(_ c: ReferenceCase, _ x: [Tensor]) -> Tensor? {
        let epsilon = Float(c.double("eps", default: 1e-5))
        let affine = c.bool("affine")
        switch c.op {
        case "batch_norm":
            return x[0].batchNorm(mean: x[1], variance: x[2], weight: affine ? x[3] : nil, bias: affine ? x[4] : nil,
                                  epsilon: epsilon)
        case "batch_norm_training":
            return x[0].batchNormTraining(weight: affine ? x[1] : nil, bias: affine ? x[2] : nil, epsilon: epsilon).output
        case "batch_norm_running_mean", "batch_norm_running_var":
            let stats = x[0].batchNormTraining(weight: nil, bias: nil)
            let momentum = Float(c.double("momentum"))
            let (initial, batch) = c.op.hasSuffix("mean") ? (x[1], stats.mean) : (x[2], stats.unbiasedVariance)
            return (initial * (1 - momentum) + batch * momentum).detached()
        case "group_norm":
            return x[0].groupNorm(groups: c.int("groups"), weight: affine ? x[1] : nil, bias: affine ? x[2] : nil,
                                  epsilon: epsilon)
        case "instance_norm":
            return x[0].instanceNorm(weight: affine ? x[1] : nil, bias: affine ? x[2] : nil, epsilon: epsilon)
        case "layer_norm":
            return x[0].layerNorm(normalizedShape: c.ints("shape"), weight: affine ? x[1] : nil,
                                  bias: affine ? x[2] : nil, epsilon: epsilon)
        default: return nil
        }
    }

    static func resize(_ c: ReferenceCase, _ x: Tensor) -> Tensor? {
        guard let transform = CoordinateTransform(onnxName: c.string("transform")),
              let rounding = NearestRounding(onnxName: c.string("nearest")) else { return nil }
        let mode: ResizeMode = c.string("mode") == "linear" ? .bilinear : .nearest(rounding)
        let scales = c.attrs["scale_h"] == nil ? nil : (height: Float(c.double("scale_h")), width: Float(c.double("scale_w")))
        return x.resized(height: c.int("height"), width: c.int("width"), mode: mode, coordinates: transform, scales: scales)
    }
}

extension ReferenceCase {
    /// A Float attribute, or nil when the case leaves it out.
    func optionalFloat(_ key: String) -> Float? { attrs[key] == nil ? nil : Float(double(key)) }

    /// A two-element integer attribute as a tuple.
    func pair(_ key: String) -> (Int, Int) {
        let v = ints(key)
        return (v[0], v[1])
    }

    /// PyTorch `padding=(h, w)`.
    var symmetricPadding: Padding2D {
        let p = pair("padding")
        return Padding2D(height: p.0, width: p.1)
    }

    /// ONNX `pads` = [top, left, bottom, right].
    var onnxPads: Padding2D {
        let p = ints("pads")
        return Padding2D(top: p[0], left: p[1], bottom: p[2], right: p[3])
    }

    var padding: Padding2D {
        Padding2D(top: int("top"), left: int("left"), bottom: int("bottom"), right: int("right"))
    }

    var paddingMode: PaddingMode {
        switch string("mode") {
        case "reflect": return .reflect
        case "replicate": return .replicate
        default: return .constant(Float(double("value", default: 0)))
        }
    }
}

extension CoordinateTransform {
    init?(onnxName: String) {
        switch onnxName {
        case "half_pixel": self = .halfPixel
        case "asymmetric": self = .asymmetric
        case "align_corners": self = .alignCorners
        case "pytorch_half_pixel": self = .pytorchHalfPixel
        default: return nil
        }
    }
}

extension NearestRounding {
    init?(onnxName: String) {
        switch onnxName {
        case "floor": self = .floor
        case "ceil": self = .ceil
        case "round_prefer_floor": self = .roundPreferFloor
        case "round_prefer_ceil": self = .roundPreferCeil
        default: return nil
        }
    }
}
