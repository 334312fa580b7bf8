"""Exports the small ONNX fixtures of fixtures/onnx and records onnxruntime results beside them.

Usage: /work/venv/bin/python scripts/onnx/export_models.py [--out fixtures/onnx] [--full /tmp/geolens-onnx-full]

Needs torch, onnx, onnxruntime and segmentation-models-pytorch (plus timm, which it pulls in).
Every model is built with `encoder_weights=None` and fixed seeds, kept small (shallow encoders,
narrow decoders; large weights stored as float16 initializers followed by a Cast to float), and
exported with the TorchScript exporter with dynamic batch/height/width so the graphs keep their
integer shape subgraphs. For each model `<name>.json` holds:
  - `input`: the 1 x bands x 64 x 64 input (rounded to 3 decimals) and `output`: onnxruntime's logits;
  - `tensorShapes`: the shape onnxruntime produced for every tensor of the graph, for the
    64 x 64 input and for a 96 x 64 one (`tensorShapesTall`), to check shape inference;
  - `opset`, `inputName`, `outputName`, `bands`, `classes`.
With --full the same architectures at full width are written to that folder (never committed).
Hand-made graphs: `unsupported_ops.onnx` (ops outside the supported set), `conv_bn.onnx` with
`conv_bn.json` (a Conv + BatchNormalization pair and its numpy-folded weights) and
`tiny_external.onnx` + `tiny_external.onnx.data` (weights in an external data file).
"""

import argparse
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper

import segmentation_models_pytorch as smp

HEIGHT, WIDTH = 64, 64


def fixed_seed(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)


def small_models():
    """(name, opset, bands, classes, builder) of the committed fixtures."""
    return [
        ("unet_resnet18_op13", 13, 4, 3, lambda: smp.Unet(
            "resnet18", encoder_weights=None, encoder_depth=3, decoder_channels=(32, 16, 8),
            in_channels=4, classes=3)),
        ("unet_resnet34_op17", 17, 13, 5, lambda: smp.Unet(
            "resnet34", encoder_weights=None, encoder_depth=2, decoder_channels=(16, 8),
            in_channels=13, classes=5)),
        ("unet_tf_efficientnet_b0_op13", 13, 6, 2, lambda: smp.Unet(
            "tu-tf_efficientnet_b0", encoder_weights=None, encoder_depth=3,
            decoder_channels=(32, 16, 8), in_channels=6, classes=2)),
        ("unetplusplus_resnet18_op17", 17, 4, 2, lambda: smp.UnetPlusPlus(
            "resnet18", encoder_weights=None, encoder_depth=3, decoder_channels=(32, 16, 8),
            in_channels=4, classes=2)),
        ("deeplabv3plus_resnet34_op17", 17, 5, 4, lambda: smp.DeepLabV3Plus(
            "resnet34", encoder_weights=None, encoder_depth=3, encoder_output_stride=8,
            decoder_channels=32, decoder_atrous_rates=(2, 4, 6), in_channels=5, classes=4)),
        ("fpn_mobilenet_v2_op13", 13, 8, 3, lambda: smp.FPN(
            "mobilenet_v2", encoder_weights=None, encoder_depth=3, decoder_pyramid_channels=32,
            decoder_segmentation_channels=32, decoder_merge_policy="cat", upsampling=1,
            in_channels=8, classes=3)),
    ]


def full_models():
    """Full-width versions of the same architectures (for timing, kept out of the repository)."""
    return [
        ("unet_resnet34_full", 17, 6, 4, lambda: smp.Unet(
            "resnet34", encoder_weights=None, in_channels=6, classes=4)),
        ("unet_tf_efficientnet_b0_full", 13, 6, 2, lambda: smp.Unet(
            "tu-tf_efficientnet_b0", encoder_weights=None, in_channels=6, classes=2)),
    ]


def export(model, path, opset, bands):
    model.eval()
    dummy = torch.zeros(1, bands, HEIGHT, WIDTH)
    torch.onnx.export(
        model, (dummy,), path, dynamo=False, opset_version=opset,
        input_names=["image"], output_names=["logits"],
        dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"},
                      "logits": {0: "batch", 2: "height", 3: "width"}})


def weights_to_float16(path, min_elements=2048):
    """Stores large float initializers as float16 followed by a Cast to float (halves the file)."""
    model = onnx.load(path)
    graph = model.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        values = numpy_helper.to_array(init)
        if values.size < min_elements:
            continue
        original = init.name
        half = numpy_helper.from_array(values.astype(np.float16), original + "_fp16")
        init.CopyFrom(half)
        casts.append(helper.make_node("Cast", [original + "_fp16"], [original], to=TensorProto.FLOAT,
                                      name=original + "_cast"))
    for node in reversed(casts):
        graph.node.insert(0, node)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def all_tensor_shapes(path, feed):
    """Runs onnxruntime with every node output exposed and returns {tensor name: shape}."""
    model = onnx.load(path)
    existing = {o.name for o in model.graph.output}
    for node in model.graph.node:
        for name in node.output:
            if name and name not in existing:
                model.graph.output.append(onnx.ValueInfoProto(name=name))
                existing.add(name)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    values = session.run(names, feed)
    return {n: list(np.asarray(v).shape) for n, v in zip(names, values)}


def rounded(values, digits=None):
    flat = np.asarray(values, dtype=np.float32).reshape(-1)
    if digits is not None:
        return [round(float(v), digits) for v in flat]
    return [float(f"{v:.7g}") for v in flat]


def write_model_fixture(out, name, opset, bands, classes, build, float16_weights=True):
    fixed_seed(7)
    model = build()
    path = os.path.join(out, name + ".onnx")
    export(model, path, opset, bands)
    if float16_weights:
        weights_to_float16(path)
    rng = np.random.default_rng(11)
    x = np.round(rng.standard_normal((1, bands, HEIGHT, WIDTH)), 3).astype(np.float32)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (y,) = session.run(["logits"], {"image": x})
    tall = np.zeros((1, bands, HEIGHT + 32, WIDTH), dtype=np.float32)
    record = {
        "model": name + ".onnx", "opset": opset, "bands": bands, "classes": classes,
        "inputName": "image", "outputName": "logits",
        "input": {"shape": list(x.shape), "data": rounded(x, 3)},
        "output": {"shape": list(y.shape), "data": rounded(y)},
        "tensorShapes": all_tensor_shapes(path, {"image": x}),
        "tensorShapesTall": all_tensor_shapes(path, {"image": tall}),
        "onnxruntime": ort.__version__, "torch": torch.__version__,
    }
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(record, f, separators=(",", ":"))
    print(f"{name}: {os.path.getsize(path) / 1e6:.2f} MB, output {list(y.shape)}")


def write_unsupported(out):
    """A graph with supported ops around four unsupported ones, two of them used twice."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    k = helper.make_tensor_value_info("k", TensorProto.INT64, None)
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), dtype=np.float32), "w")
    kk = numpy_helper.from_array(np.array([2], dtype=np.int64), "kk")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv0", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu0"),
        helper.make_node("LpNormalization", ["r"], ["n"], name="norm_a"),
        helper.make_node("Round", ["n"], ["e1"], name="round_a"),
        helper.make_node("Round", ["e1"], ["e2"], name="round_b"),
        helper.make_node("Floor", ["e2"], ["f"], name="floor_a"),
        helper.make_node("Flatten", ["f"], ["flat"], name="flatten0"),
        helper.make_node("TopK", ["flat", "kk"], ["y", "k"], name="topk_a"),
    ]
    graph = helper.make_graph(nodes, "unsupported", [x], [y, k], [w, kk])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by the onnxruntime the fixtures were checked with
    onnx.save(model, os.path.join(out, "unsupported_ops.onnx"))


def write_conv_bn(out):
    """A Conv (with bias) feeding a BatchNormalization, with the folded weights numpy computes."""
    rng = np.random.default_rng(5)
    cout, cin = 4, 3
    arrays = {
        "w": rng.standard_normal((cout, cin, 3, 3)).astype(np.float32),
        "b": rng.standard_normal(cout).astype(np.float32),
        "gamma": rng.uniform(0.5, 1.5, cout).astype(np.float32),
        "beta": rng.standard_normal(cout).astype(np.float32),
        "mean": rng.standard_normal(cout).astype(np.float32),
        "var": rng.uniform(0.2, 2.0, cout).astype(np.float32),
    }
    eps = 1e-3
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["y"],
                         name="bn", epsilon=eps),
    ]
    graph = helper.make_graph(
        nodes, "conv_bn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, cin, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, cout, 8, 8])],
        [numpy_helper.from_array(v, k) for k, v in arrays.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = os.path.join(out, "conv_bn.onnx")
    onnx.save(model, path)
    scale = arrays["gamma"] / np.sqrt(arrays["var"] + eps)
    folded_w = arrays["w"] * scale[:, None, None, None]
    folded_b = (arrays["b"] - arrays["mean"]) * scale + arrays["beta"]
    x = np.round(rng.standard_normal((1, cin, 8, 8)), 3).astype(np.float32)
    (y,) = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(["y"], {"x": x})
    record = {
        "epsilon": eps,
        "foldedWeight": {"shape": list(folded_w.shape), "data": rounded(folded_w)},
        "foldedBias": {"shape": list(folded_b.shape), "data": rounded(folded_b)},
        "input": {"shape": list(x.shape), "data": rounded(x, 3)},
        "output": {"shape": list(y.shape), "data": rounded(y)},
    }
    with open(os.path.join(out, "conv_bn.json"), "w") as f:
        json.dump(record, f, separators=(",", ":"))


def write_tiny_external(out):
    """Conv + BN + ReLU + 1x1 Conv with every initializer in tiny_external.onnx.data."""
    fixed_seed(3)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(4, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
        torch.nn.Conv2d(8, 2, 1)).eval()
    path = os.path.join(out, "tiny_external.onnx")
    export(model, path, 17, 4)
    proto = onnx.load(path)
    onnx.save_model(proto, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="tiny_external.onnx.data", size_threshold=0)
    x = np.round(np.random.default_rng(2).standard_normal((1, 4, 16, 16)), 3).astype(np.float32)
    (y,) = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(["logits"], {"image": x})
    weights = {i.name: list(numpy_helper.to_array(i, base_dir=out).shape)
               for i in onnx.load(path).graph.initializer}
    record = {
        "initializerShapes": weights,
        "firstWeightValues": rounded(model[0].weight.detach().numpy().reshape(-1)[:8]),
        "input": {"shape": list(x.shape), "data": rounded(x, 3)},
        "output": {"shape": list(y.shape), "data": rounded(y)},
    }
    with open(os.path.join(out, "tiny_external.json"), "w") as f:
        json.dump(record, f, separators=(",", ":"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="fixtures/onnx")
    parser.add_argument("--full", default=None)
    parser.add_argument("--only", default=None, help="export just this fixture name")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, opset, bands, classes, build in small_models():
        if args.only and args.only != name:
            continue
        write_model_fixture(args.out, name, opset, bands, classes, build,
                            float16_weights=(name != "unet_resnet18_op13"))
    if not args.only or args.only == "graphs":
        write_unsupported(args.out)
        write_conv_bn(args.out)
        write_tiny_external(args.out)
    if args.full:
        os.makedirs(args.full, exist_ok=True)
        for name, opset, bands, classes, build in full_models():
            write_model_fixture(args.full, name, opset, bands, classes, build, float16_weights=False)


if __name__ == "__main__":
    main()
