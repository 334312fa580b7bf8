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
`tiny_external.onnx` + `tiny_external.onnx.data` (weights in an external data file), and
`op_zoo_op{11,13,18}.onnx` with `.json` (every supported operator the smp exports lack, in each
opset's form, with onnxruntime's shape and value for every tensor at two input shapes).
`unet_resnet18_op13_gradients.json` holds PyTorch autograd gradients of one class's summed logits
with respect to the input and to an encoder stage output (named by its ONNX tensor) at 32 x 32.
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
        ("unet_efficientnet_b4_full", 17, 6, 4, lambda: smp.Unet(
            "efficientnet-b4", encoder_weights=None, in_channels=6, classes=4)),
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
    data_path = os.path.join(out, "tiny_external.onnx.data")
    if os.path.exists(data_path):
        os.remove(data_path)
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


def op_zoo_graph(opset):
    """A hand-made graph touching every supported operator the smp exports do not (or only in one
    opset form): ConvTranspose, pooling with ceil_mode, Split, negative-step Slice, Gemm, MatMul,
    Softmax, ReduceMean, Squeeze/Unsqueeze, Expand, reflect Pad, Resize by scales and sizes,
    Range/Equal/Where, runtime Gather/Cast/Reshape. Axes-like values are attributes or inputs as
    `opset` requires."""
    rng = np.random.default_rng(opset)
    inits, nodes = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def ints(name, values):
        return const(name, np.array(values, dtype=np.int64))

    def node(op, inputs, name, n_out=1, **attrs):
        outputs = [name] if n_out == 1 else [f"{name}_{i}" for i in range(n_out)]
        nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs[0] if n_out == 1 else outputs

    def weights(name, shape):
        return const(name, rng.standard_normal(shape).astype(np.float32))

    def axes_node(op, data, axes, name, **attrs):
        if opset >= 13 and op in ("Squeeze", "Unsqueeze"):
            return node(op, [data, ints(name + "_axes", axes)], name, **attrs)
        if opset >= 18 and op == "ReduceMean":
            return node(op, [data, ints(name + "_axes", axes)], name, **attrs)
        return node(op, [data], name, axes=axes, **attrs)

    x = "x"
    conv = node("Conv", [x, weights("w_conv", (4, 3, 3, 3)), weights("b_conv", (4,))], "conv_same",
                strides=[2, 2], auto_pad="SAME_UPPER")
    bn = node("BatchNormalization", [conv, const("bn_g", np.ones(4, np.float32) * 1.5), weights("bn_b", (4,)),
                                     weights("bn_m", (4,)), const("bn_v", np.full(4, 2.0, np.float32))], "bn", epsilon=1e-3)
    relu6 = node("Clip", [bn, const("zero", np.float32(0)), const("six", np.float32(6))], "relu6")
    deconv = node("ConvTranspose", [relu6, weights("w_deconv", (4, 2, 3, 3))], "deconv",
                  strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])
    avg = node("AveragePool", [deconv], "avgpool_ceil", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    mx = node("MaxPool", [x], "maxpool", kernel_shape=[2, 2], strides=[2, 2])
    cat = node("Concat", [avg, mx], "concat", axis=1)
    act = node("HardSwish", [cat], "hardswish") if opset >= 14 else cat  # HardSwish is opset 14+
    act = node("HardSigmoid", [act], "hardsigmoid", alpha=0.3, beta=0.4)
    act = node("LeakyRelu", [act], "leakyrelu", alpha=0.2)
    act = node("Erf", [act], "erf")
    act = node("Tanh", [act], "tanh")
    if opset >= 13:
        parts = node("Split", [cat, ints("split_sizes", [2, 3])], "split", n_out=2, axis=1)
    else:
        parts = node("Split", [cat], "split", n_out=2, axis=1, split=[2, 3])
    sliced = node("Slice", [parts[1], ints("sl_starts", [-1]), ints("sl_ends", [-1000000]), ints("sl_axes", [3]),
                            ints("sl_steps", [-2])], "slice_reverse")
    tr = node("Transpose", [sliced], "transpose", perm=[0, 2, 3, 1])
    flat = node("Flatten", [tr], "flatten", axis=2)
    gemm = node("Gemm", [flat, weights("w_gemm", (4, 9)), weights("b_gemm", (4,))], "gemm", transB=1)
    mm = node("MatMul", [gemm, weights("w_mm", (4, 7))], "matmul")
    node("Softmax", [mm], "softmax", axis=-1)
    mean = axes_node("ReduceMean", act, [2, 3], "reducemean", keepdims=1)
    sq = axes_node("Squeeze", mean, [2, 3], "squeeze")
    unsq = axes_node("Unsqueeze", sq, [0], "unsqueeze")
    node("Expand", [unsq, ints("expand_shape", [2, 1, 5])], "expand")
    node("InstanceNormalization", [cat, const("in_s", np.ones(5, np.float32)), const("in_b", np.zeros(5, np.float32))], "instnorm")
    node("Pad", [x, ints("pads", [0, 0, 1, 2, 0, 0, 2, 1])], "pad_reflect", mode="reflect")
    node("GlobalAveragePool", [x], "gap")
    roi = const("roi", np.array([], np.float32))  # required (if empty) before opset 13
    node("Resize", [x, roi, const("rs_scales", np.array([1, 1, 1.5, 0.5], np.float32))], "resize_scales", mode="linear")
    node("Resize", [x, roi, const("no_scales", np.array([], np.float32)), ints("rs_sizes", [1, 3, 7, 9])],
         "resize_sizes", mode="nearest")
    shape = node("Shape", [x], "shape")
    hw = node("Gather", [shape, ints("hw_idx", [2, 3])], "gather_hw")
    node("ConstantOfShape", [hw], "fill", value=numpy_helper.from_array(np.array([0.5], np.float32)))
    rng4 = node("Range", [const("r0", np.int64(0)), const("r4", np.int64(4)), const("r1", np.int64(1))], "range")
    eq = node("Equal", [rng4, ints("eq_ref", [0, 1, 5, 3])], "equal")
    picked = node("Where", [eq, rng4, ints("where_else", [9, 9, 9, 9])], "where_int")
    node("Cast", [picked], "cast_picked", to=TensorProto.FLOAT)
    same = node("Equal", [x, x], "equal_runtime")
    node("Where", [same, node("Sqrt", [node("Relu", [x], "relu")], "sqrt"),
                   node("Exp", [node("Sub", [x, node("Div", [x, const("two", np.float32(2))], "div")], "sub")], "exp")],
         "where_runtime")
    node("Pow", [x, const("p2", np.float32(2))], "pow")
    node("Mul", [x, node("Sigmoid", [x], "sigmoid")], "swish")
    node("Gather", [x, ints("ch_idx", [0, 2])], "gather_channels", axis=1)
    node("Cast", [node("Cast", [x], "cast_int", to=TensorProto.INT64)], "cast_back", to=TensorProto.FLOAT)
    batch = node("Gather", [shape, ints("b_idx", [0])], "gather_batch")
    node("Reshape", [node("Dropout", [x], "dropout"), node("Concat", [batch, ints("minus1", [-1])], "target", axis=0)], "reshape")
    node("Identity", [act], "identity")
    node("Add", [cat, const("bias5", rng.standard_normal((1, 5, 1, 1)).astype(np.float32))], "add_bcast")
    if opset >= 18:
        node("Pad", [x, ints("pads_hw", [1, 0, 0, 2]), const("pad_value", np.float32(0.5)), ints("pad_axis_list", [2, 3])],
             "pad_axes")
        node("Split", [x], "split_uneven", n_out=3, axis=2, num_outputs=3)
        node("Shape", [x], "shape_tail", start=-2)
    outputs = [o for n in nodes for o in n.output]
    graph = helper.make_graph(
        nodes, f"op_zoo_{opset}", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, "h", "w"])],
        [onnx.ValueInfoProto(name=o) for o in outputs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    # Outputs carry no declared types (onnxruntime reports them); the checker wants them, so it
    # is not run here; onnxruntime validates the graph when it loads it.
    return model


def write_op_zoo(out, opset):
    """op_zoo_op<N>.onnx plus the shape and value onnxruntime gives every tensor."""
    path = os.path.join(out, f"op_zoo_op{opset}.onnx")
    onnx.save(op_zoo_graph(opset), path)
    x = np.round(np.random.default_rng(1).standard_normal((1, 3, 10, 12)), 3).astype(np.float32)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    values = session.run(names, {"x": x})
    tall = np.zeros((2, 3, 14, 12), dtype=np.float32)
    record = {
        "opset": opset,
        "input": {"shape": list(x.shape), "data": rounded(x, 3)},
        "tensorShapes": {n: list(np.asarray(v).shape) for n, v in zip(names, values)},
        "tensorShapesOther": all_tensor_shapes(path, {"x": tall}),
        "otherInputShape": list(tall.shape),
        "tensorValues": {n: {"shape": list(np.asarray(v).shape), "data": rounded(np.asarray(v, dtype=np.float32))}
                         for n, v in zip(names, values)},
    }
    with open(os.path.join(out, f"op_zoo_op{opset}.json"), "w") as f:
        json.dump(record, f, separators=(",", ":"))


def write_gradients(out, name="unet_resnet18_op13", layer="encoder.layer2", target_class=1, size=32):
    """`<name>_gradients.json`: PyTorch autograd gradients of the summed logits of one class with
    respect to the input and to the output of one module (found in the ONNX graph by value), at a
    small input. The model is rebuilt with the fixture's seed, so its weights are the exported ones
    (the fixture must have float32 weights); the stored onnxruntime logits are checked first."""
    entry = next(m for m in small_models() if m[0] == name)
    _, opset, bands, classes, build = entry
    fixed_seed(7)
    model = build().eval()
    with open(os.path.join(out, name + ".json")) as f:
        stored = json.load(f)
    x64 = torch.tensor(stored["input"]["data"], dtype=torch.float32).reshape(stored["input"]["shape"])
    with torch.no_grad():
        y64 = model(x64).numpy().reshape(-1)
    drift = float(np.max(np.abs(y64 - np.asarray(stored["output"]["data"], dtype=np.float32))))
    assert drift < 1e-4, f"rebuilt {name} differs from the exported graph by {drift}"
    rng = np.random.default_rng(5)
    x = torch.tensor(np.round(rng.standard_normal((1, bands, size, size)), 3).astype(np.float32), requires_grad=True)
    captured = {}
    module = dict(model.named_modules())[layer]
    def hook(_, __, output):
        output.retain_grad()
        captured["value"] = output
    handle = module.register_forward_hook(hook)
    logits = model(x)
    handle.remove()
    logits[:, target_class].sum().backward()
    activation = captured["value"]
    # The ONNX tensor holding the same values: run onnxruntime with every node output exposed.
    graph = onnx.load(os.path.join(out, name + ".onnx"))
    existing = {o.name for o in graph.graph.output}
    for node in graph.graph.node:
        for output in node.output:
            if output and output not in existing:
                graph.graph.output.append(onnx.ValueInfoProto(name=output))
                existing.add(output)
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    values = session.run(names, {"image": x.detach().numpy()})
    reference = activation.detach().numpy()
    matches = [n for n, v in zip(names, values)
               if np.asarray(v).shape == reference.shape and np.max(np.abs(np.asarray(v) - reference)) < 1e-5]
    assert matches, f"no ONNX tensor of {name} matches the output of {layer}"
    record = {
        "model": name + ".onnx", "module": layer, "tensor": matches[-1], "targetClass": target_class,
        "input": {"shape": list(x.shape), "data": rounded(x.detach().numpy(), 3)},
        "logits": {"shape": list(logits.shape), "data": rounded(logits.detach().numpy())},
        "inputGradient": {"shape": list(x.shape), "data": rounded(x.grad.numpy())},
        "tensorGradient": {"shape": list(reference.shape), "data": rounded(activation.grad.numpy())},
        "torch": torch.__version__,
    }
    with open(os.path.join(out, name + "_gradients.json"), "w") as f:
        json.dump(record, f, separators=(",", ":"))
    print(f"{name}_gradients: tensor {matches[-1]} ({layer}), {list(reference.shape)}")


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
        for opset in (11, 13, 18):
            write_op_zoo(args.out, opset)
    if not args.only or args.only == "gradients":
        write_gradients(args.out)
    if args.full:
        os.makedirs(args.full, exist_ok=True)
        for name, opset, bands, classes, build in full_models():
            write_model_fixture(args.full, name, opset, bands, classes, build, float16_weights=False)


if __name__ == "__main__":
    main()
