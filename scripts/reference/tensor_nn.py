"""Reference values for the neural-network ops of the tensor engine.

Run: python scripts/reference/tensor_nn.py
Writes fixtures/reference/tensor/nn_activations.json, nn_pooling.json, nn_resize.json,
nn_padding.json and nn_normalization.json.

PyTorch gives forward values and gradients. ONNX Resize modes that PyTorch cannot express
(half_pixel / asymmetric / align_corners with every nearest rounding) and asymmetric ONNX pool
padding come from onnxruntime on one-node graphs; those cases are forward-only (no "upstream").
"""
import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper

from common import make_case, randn, tensor_json, write_cases


def forward_case(name, op, x, y, attrs):
    """A forward-only case from numpy or torch arrays."""
    return {"name": name, "op": op, "attrs": attrs,
            "inputs": [tensor_json(torch.as_tensor(x))], "output": tensor_json(torch.as_tensor(y))}


def run_onnx_node(node, x, output_rank=4, initializers=()):
    graph = helper.make_graph(
        [node], "single_node",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None] * output_rank)],
        initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": x.numpy()})[0]


# MARK: activations and softmax

def activation_cases():
    cases = []
    x = randn(2, 3, 4, 5, seed=30, away_from_zero=0.05)
    wide = x * 2.5
    cases.append(make_case("relu", "relu", F.relu, [x]))
    cases.append(make_case("leaky_relu_0_2", "leaky_relu", lambda a: F.leaky_relu(a, 0.2), [x], {"slope": 0.2}))
    cases.append(make_case("leaky_relu_default", "leaky_relu", F.leaky_relu, [x], {"slope": 0.01}))
    cases.append(make_case("sigmoid", "sigmoid", torch.sigmoid, [wide * 4]))
    cases.append(make_case("tanh", "tanh", torch.tanh, [wide]))
    cases.append(make_case("silu", "silu", F.silu, [wide]))
    cases.append(make_case("gelu", "gelu", F.gelu, [wide], {"tanh": False}))
    cases.append(make_case("gelu_tanh", "gelu", lambda a: F.gelu(a, approximate="tanh"), [wide], {"tanh": True}))
    cases.append(make_case("hard_sigmoid_torch", "hard_sigmoid", F.hardsigmoid, [wide],
                           {"alpha": 1.0 / 6.0, "beta": 0.5}))
    cases.append(make_case("hard_sigmoid_onnx", "hard_sigmoid", lambda a: torch.clamp(0.2 * a + 0.5, 0, 1), [wide],
                           {"alpha": 0.2, "beta": 0.5}))
    cases.append(make_case("hard_swish", "hard_swish", F.hardswish, [wide]))
    cases.append(make_case("relu6", "clip", F.relu6, [wide * 2], {"min": 0.0, "max": 6.0}))
    cases.append(make_case("clip_both", "clip", lambda a: torch.clamp(a, -0.5, 0.7), [x], {"min": -0.5, "max": 0.7}))
    cases.append(make_case("clip_min", "clip", lambda a: torch.clamp(a, min=-0.3), [x], {"min": -0.3}))
    cases.append(make_case("clip_max", "clip", lambda a: torch.clamp(a, max=0.4), [x], {"max": 0.4}))
    logits = randn(2, 5, 3, 4, seed=31) * 3
    cases.append(make_case("softmax_channels", "softmax", lambda a: F.softmax(a, dim=1), [logits], {"axis": 1}))
    cases.append(make_case("softmax_last", "softmax", lambda a: F.softmax(a, dim=-1), [randn(4, 7, seed=32) * 5],
                           {"axis": -1}))
    cases.append(make_case("softmax_large", "softmax", lambda a: F.softmax(a, dim=1), [logits * 40 + 500], {"axis": 1}))
    cases.append(make_case("log_softmax_channels", "log_softmax", lambda a: F.log_softmax(a, dim=1), [logits],
                           {"axis": 1}))
    cases.append(make_case("log_softmax_axis0", "log_softmax", lambda a: F.log_softmax(a, dim=0),
                           [randn(3, 4, 2, seed=33) * 4], {"axis": 0}))
    return cases


# MARK: pooling

def pooling_cases():
    cases = []
    x = randn(2, 3, 9, 10, seed=40)
    odd = randn(1, 2, 5, 7, seed=41)

    def maxpool(name, t, k, s, p, d=(1, 1), ceil=False):
        attrs = {"kernel": list(k), "stride": list(s), "padding": list(p), "dilation": list(d), "ceil": ceil}
        cases.append(make_case(name, "max_pool2d", lambda a: F.max_pool2d(a, k, s, p, d, ceil_mode=ceil), [t], attrs))

    def avgpool(name, t, k, s, p, ceil=False, include=True):
        attrs = {"kernel": list(k), "stride": list(s), "padding": list(p), "ceil": ceil, "include_pad": include}
        cases.append(make_case(name, "avg_pool2d",
                               lambda a: F.avg_pool2d(a, k, s, p, ceil_mode=ceil, count_include_pad=include), [t], attrs))

    maxpool("max_k3_s2_p1", x, (3, 3), (2, 2), (1, 1))
    maxpool("max_k2_s2", x, (2, 2), (2, 2), (0, 0))
    maxpool("max_k2_s2_ceil", odd, (2, 2), (2, 2), (0, 0), ceil=True)
    maxpool("max_k2_s2_p1_ceil_last_window_rule", odd, (2, 2), (2, 2), (1, 1), ceil=True)
    maxpool("max_k3_s2_p1_ceil", x, (3, 3), (2, 2), (1, 1), ceil=True)
    maxpool("max_dilation2", x, (3, 3), (1, 2), (1, 1), d=(2, 2))
    maxpool("max_rect", x, (3, 2), (2, 1), (1, 0))
    avgpool("avg_k3_s2_p1_include", x, (3, 3), (2, 2), (1, 1))
    avgpool("avg_k3_s2_p1_exclude", x, (3, 3), (2, 2), (1, 1), include=False)
    avgpool("avg_k3_s2_p1_ceil_include", randn(1, 2, 6, 8, seed=42), (3, 3), (2, 2), (1, 1), ceil=True)
    avgpool("avg_k3_s2_p1_ceil_exclude", randn(1, 2, 6, 8, seed=42), (3, 3), (2, 2), (1, 1), ceil=True, include=False)
    avgpool("avg_k2_s2_p1_ceil_include", odd, (2, 2), (2, 2), (1, 1), ceil=True)
    avgpool("avg_k2_default_stride", x, (2, 2), (2, 2), (0, 0))
    avgpool("avg_rect_ceil", odd, (2, 3), (2, 2), (1, 1), ceil=True, include=True)
    cases.append(make_case("global_avg", "global_avg_pool2d", lambda a: F.adaptive_avg_pool2d(a, 1), [x]))
    for name, t, size in [("adaptive_3x4", randn(2, 2, 7, 10, seed=43), (3, 4)),
                          ("adaptive_1x1", x, (1, 1)),
                          ("adaptive_identity", odd, (5, 7)),
                          ("adaptive_up_4x6", randn(1, 2, 3, 4, seed=44), (4, 6)),
                          ("adaptive_6x6_from_9x10", x, (6, 6))]:
        cases.append(make_case(name, "adaptive_avg_pool2d", lambda a, s=size: F.adaptive_avg_pool2d(a, s), [t],
                               {"size": list(size)}))

    # ONNX pools with asymmetric pads (PyTorch cannot express them): onnxruntime, forward only.
    for name, op, pads, ceil, extra in [
        ("onnx_max_asym_pads", "MaxPool", [0, 1, 2, 0], 0, {}),
        ("onnx_max_asym_pads_ceil", "MaxPool", [1, 0, 0, 1], 1, {}),
        ("onnx_avg_asym_pads_include", "AveragePool", [0, 1, 2, 0], 0, {"count_include_pad": 1}),
        ("onnx_avg_asym_pads_exclude", "AveragePool", [0, 1, 2, 0], 0, {"count_include_pad": 0}),
        ("onnx_avg_asym_pads_ceil_include", "AveragePool", [1, 0, 0, 1], 1, {"count_include_pad": 1}),
        ("onnx_avg_asym_pads_ceil_exclude", "AveragePool", [1, 0, 0, 1], 1, {"count_include_pad": 0}),
    ]:
        t = randn(1, 2, 7, 8, seed=45)
        node = helper.make_node(op, ["X"], ["Y"], kernel_shape=[3, 3], strides=[2, 2], pads=pads, ceil_mode=ceil, **extra)
        y = run_onnx_node(node, t)
        attrs = {"kernel": [3, 3], "stride": [2, 2], "pads": pads, "ceil": bool(ceil),
                 "include_pad": bool(extra.get("count_include_pad", 0))}
        cases.append(forward_case(name, "onnx_" + ("max_pool" if op == "MaxPool" else "avg_pool"), t, y, attrs))
    return cases


# MARK: resize

def resize_cases():
    cases = []
    small = randn(1, 2, 4, 5, seed=50)
    big = randn(2, 2, 9, 10, seed=51)

    def torch_case(name, t, size, mode, align=None):
        attrs = {"height": size[0], "width": size[1], "bilinear": mode == "bilinear"}
        if align is not None:
            attrs["align_corners"] = align
        fn = lambda a: F.interpolate(a, size=size, mode=mode, align_corners=align)
        cases.append(make_case(name, "upsample", fn, [t], attrs))

    torch_case("torch_nearest_up2", small, (8, 10), "nearest")
    torch_case("torch_nearest_up_fractional", small, (7, 11), "nearest")
    torch_case("torch_nearest_down", big, (4, 6), "nearest")
    torch_case("torch_bilinear_up", small, (7, 11), "bilinear", False)
    torch_case("torch_bilinear_up2", small, (8, 10), "bilinear", False)
    torch_case("torch_bilinear_down", big, (4, 6), "bilinear", False)
    torch_case("torch_bilinear_align_up", small, (7, 11), "bilinear", True)
    torch_case("torch_bilinear_align_down", big, (4, 6), "bilinear", True)
    torch_case("torch_bilinear_align_to_one", big, (1, 3), "bilinear", True)
    # nearest-exact is ONNX half_pixel + round_prefer_ceil.
    for name, size in [("torch_nearest_exact_up", (7, 11)), ("torch_nearest_exact_down", (4, 6))]:
        t = small if size[0] > 4 else big
        cases.append(make_case(name, "resize", lambda a, s=size: F.interpolate(a, size=s, mode="nearest-exact"), [t],
                               {"height": size[0], "width": size[1], "mode": "nearest",
                                "nearest": "round_prefer_ceil", "transform": "half_pixel"}))

    def onnx_case(name, t, size, mode, transform, nearest="round_prefer_floor", scales=None):
        attrs = {"mode": mode, "coordinate_transformation_mode": transform}
        if mode == "nearest":
            attrs["nearest_mode"] = nearest
        if scales is None:
            inputs = ["X", "", "", "sizes"]
            init = [helper.make_tensor("sizes", TensorProto.INT64, [4], list(t.shape[:2]) + list(size))]
        else:
            inputs = ["X", "", "scales"]
            init = [helper.make_tensor("scales", TensorProto.FLOAT, [4], [1.0, 1.0] + list(scales))]
        node = helper.make_node("Resize", inputs, ["Y"], **attrs)
        y = run_onnx_node(node, t, initializers=init)
        case_attrs = {"height": int(y.shape[2]), "width": int(y.shape[3]), "mode": mode,
                      "transform": transform, "nearest": nearest}
        if scales is not None:
            case_attrs["scale_h"], case_attrs["scale_w"] = float(scales[0]), float(scales[1])
        cases.append(forward_case(name, "resize", t, y, case_attrs))

    transforms = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"]
    roundings = ["floor", "ceil", "round_prefer_floor", "round_prefer_ceil"]
    for transform in transforms:
        for rounding in roundings:
            onnx_case(f"onnx_nearest_{transform}_{rounding}_up", small, (7, 9), "nearest", transform, rounding)
            onnx_case(f"onnx_nearest_{transform}_{rounding}_down", big, (4, 6), "nearest", transform, rounding)
        onnx_case(f"onnx_linear_{transform}_up", small, (7, 9), "linear", transform)
        onnx_case(f"onnx_linear_{transform}_down", big, (4, 6), "linear", transform)
        onnx_case(f"onnx_linear_{transform}_to_one_row", big, (1, 3), "linear", transform)
    onnx_case("onnx_nearest_up2_exact_halves", small, (8, 10), "nearest", "half_pixel", "round_prefer_floor")
    onnx_case("onnx_nearest_scales_1_7", small, None, "nearest", "asymmetric", "floor", scales=(1.7, 1.3))
    onnx_case("onnx_linear_scales_0_6", big, None, "linear", "half_pixel", scales=(0.6, 0.45))
    return cases


# MARK: padding

def padding_cases():
    cases = []
    x = randn(2, 3, 4, 5, seed=60)
    for mode, value in [("constant", 0.0), ("constant", 0.5), ("reflect", None), ("replicate", None)]:
        for top, left, bottom, right in [(1, 2, 3, 1), (0, 0, 2, 4), (3, 4, 3, 4)]:
            name = f"pad_{mode}{'' if value in (None, 0.0) else '_value'}_{top}{left}{bottom}{right}"
            attrs = {"top": top, "left": left, "bottom": bottom, "right": right, "mode": mode}
            if value is not None:
                attrs["value"] = value
            fn = lambda a, m=mode, v=value, p=(left, right, top, bottom): (
                F.pad(a, p, mode=m, value=v) if m == "constant" else F.pad(a, p, mode=m))
            cases.append(make_case(name, "pad", fn, [x], attrs))
    return cases


# MARK: normalization

def normalization_cases():
    cases = []
    x = randn(2, 3, 4, 5, seed=70) * 2 + 0.5
    mean, var = randn(3, seed=71), randn(3, seed=72).abs() + 0.3
    w, b = randn(3, seed=73), randn(3, seed=74)
    cases.append(make_case("batch_norm_inference", "batch_norm",
                           lambda a, m, v, ww, bb: F.batch_norm(a, m, v, ww, bb, training=False, eps=1e-5),
                           [x, mean, var, w, b], {"affine": True, "eps": 1e-5},
                           differentiable=[True, False, False, True, True]))
    cases.append(make_case("batch_norm_inference_plain", "batch_norm",
                           lambda a, m, v: F.batch_norm(a, m, v, training=False, eps=1e-3),
                           [x, mean, var], {"affine": False, "eps": 1e-3}, differentiable=[True, False, False]))
    cases.append(make_case("batch_norm_inference_2d", "batch_norm",
                           lambda a, m, v, ww, bb: F.batch_norm(a, m, v, ww, bb, training=False),
                           [randn(4, 3, seed=75), mean, var, w, b], {"affine": True, "eps": 1e-5},
                           differentiable=[True, False, False, True, True]))
    cases.append(make_case("batch_norm_training", "batch_norm_training",
                           lambda a, ww, bb: F.batch_norm(a, None, None, ww, bb, training=True),
                           [x, w, b], {"affine": True, "eps": 1e-5}))
    cases.append(make_case("batch_norm_training_plain", "batch_norm_training",
                           lambda a: F.batch_norm(a, None, None, training=True, eps=1e-3),
                           [randn(3, 2, 6, seed=76)], {"affine": False, "eps": 1e-3}))
    # Running statistics after one training step with momentum 0.1.
    running_mean, running_var = randn(3, seed=77), randn(3, seed=78).abs() + 0.5
    rm, rv = running_mean.clone(), running_var.clone()
    F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1)
    for name, value in [("batch_norm_running_mean", rm), ("batch_norm_running_var", rv)]:
        cases.append({"name": name, "op": name, "attrs": {"momentum": 0.1},
                      "inputs": [tensor_json(x), tensor_json(running_mean), tensor_json(running_var)],
                      "output": tensor_json(value)})

    g4 = randn(2, 4, 3, 5, seed=79) * 1.5 - 0.3
    w4, b4 = randn(4, seed=80), randn(4, seed=81)
    cases.append(make_case("group_norm_2", "group_norm", lambda a, ww, bb: F.group_norm(a, 2, ww, bb),
                           [g4, w4, b4], {"groups": 2, "affine": True}))
    cases.append(make_case("group_norm_1_plain", "group_norm", lambda a: F.group_norm(a, 1), [g4],
                           {"groups": 1, "affine": False}))
    cases.append(make_case("group_norm_4", "group_norm", lambda a, ww, bb: F.group_norm(a, 4, ww, bb, eps=1e-3),
                           [g4, w4, b4], {"groups": 4, "affine": True, "eps": 1e-3}))
    cases.append(make_case("instance_norm", "instance_norm", lambda a, ww, bb: F.instance_norm(a, weight=ww, bias=bb),
                           [g4, w4, b4], {"affine": True}))
    cases.append(make_case("instance_norm_plain", "instance_norm", lambda a: F.instance_norm(a), [g4],
                           {"affine": False}))
    ln = randn(2, 6, 5, seed=82) * 2 + 1
    cases.append(make_case("layer_norm_last", "layer_norm", lambda a, ww, bb: F.layer_norm(a, [5], ww, bb),
                           [ln, randn(5, seed=83), randn(5, seed=84)], {"shape": [5], "affine": True}))
    cases.append(make_case("layer_norm_last_two", "layer_norm", lambda a, ww, bb: F.layer_norm(a, [6, 5], ww, bb),
                           [ln, randn(6, 5, seed=85), randn(6, 5, seed=86)], {"shape": [6, 5], "affine": True}))
    cases.append(make_case("layer_norm_plain", "layer_norm", lambda a: F.layer_norm(a, [5], eps=1e-6), [ln],
                           {"shape": [5], "affine": False, "eps": 1e-6}))
    return cases


if __name__ == "__main__":
    write_cases("fixtures/reference/tensor/nn_activations.json", __file__, activation_cases())
    write_cases("fixtures/reference/tensor/nn_pooling.json", __file__, pooling_cases())
    write_cases("fixtures/reference/tensor/nn_resize.json", __file__, resize_cases())
    write_cases("fixtures/reference/tensor/nn_padding.json", __file__, padding_cases())
    write_cases("fixtures/reference/tensor/nn_normalization.json", __file__, normalization_cases())
