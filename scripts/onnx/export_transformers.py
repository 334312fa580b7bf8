"""Exports the small transformer ONNX fixtures of fixtures/onnx and records onnxruntime results.

Usage: /work/venv-tf/bin/python scripts/onnx/export_transformers.py [--out fixtures/onnx] [--full DIR]

Needs torch, onnx, onnxruntime, timm and segmentation-models-pytorch. Three segmentation models
with random weights (fixed seeds), shrunk so each graph stays well under 2 MB, 6 input bands and
3 classes (the fixture tiles' bands and clear/cloud/shadow), exported with the TorchScript exporter
at opsets 17, 18 and 20 with a dynamic batch axis (the ViT also at 14):

  segformer_tiny    smp `Segformer` on a MiT encoder of mit_b0's layout at a quarter of its width
                    (overlapping patch embeddings, spatial-reduction attention, Mix-FFN depthwise
                    convolutions), dynamic height and width as well.
  vit_tiny          a timm `VisionTransformer` (patch 16, class token and one register token,
                    learned position embeddings) whose patch tokens are put back on their 4 x 4 grid
                    and decoded by convolutions and upsampling: the shape of Prithvi, SatMAE or
                    Clay encoders fine-tuned for segmentation. Fixed 64 x 64 input.
  swin_tiny         a timm `SwinTransformer` (patch 4, window 4, shifted windows with attention masks,
                    relative position bias, patch merging) with the same kind of head. Fixed 64 x 64.

The ViT is also exported at opset 14, before LayerNormalization existed, so its norms are
ReduceMean/Pow/Sqrt chains. For each model and opset, `<name>_op<N>.json` holds the 1 x 6 x 64 x 64 input and onnxruntime's
logits, the shape onnxruntime gives every tensor (and, for the dynamic SegFormer, at 96 x 64 too),
and the names of the exported operators. `transformer_op_zoo_op{13,17,18,20}` are hand-made graphs
with every operator transformer exports may contain, in each opset's form, with onnxruntime's value
of every tensor (exporters of these models write only some of them). `vit_tiny_op17_gradients.json` holds PyTorch autograd
gradients of one class's summed logits with respect to the input and to the token tensor of the
last block's first norm (named by its ONNX tensor). With --full the same architectures at full
width and 256 x 256 are written to DIR for benchmarks (never committed).
"""

import argparse
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

HEIGHT, WIDTH, BANDS, CLASSES = 64, 64, 6, 3
OPSETS = (17, 18, 20)


def fixed_seed(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)


class TokenGridHead(nn.Module):
    """Patch tokens back on their grid, then convolutions and upsampling to the input size."""

    def __init__(self, channels, classes, hidden=32):
        super().__init__()
        self.neck = nn.Sequential(nn.Conv2d(channels, hidden, 3, padding=1), nn.BatchNorm2d(hidden), nn.ReLU())
        self.refine = nn.Sequential(nn.Conv2d(hidden, hidden, 3, padding=1), nn.BatchNorm2d(hidden), nn.ReLU())
        self.classifier = nn.Conv2d(hidden, classes, 1)

    def forward(self, grid, size):
        y = self.neck(grid)
        y = F.interpolate(y, scale_factor=4, mode="bilinear", align_corners=False)
        y = self.refine(y)
        y = self.classifier(y)
        return F.interpolate(y, size=size, mode="bilinear", align_corners=False)


class ViTSegmentation(nn.Module):
    """A timm ViT encoder with a convolutional head on its patch tokens."""

    def __init__(self, image=HEIGHT, bands=BANDS, classes=CLASSES, dim=64, depth=3, heads=4, reg_tokens=1):
        super().__init__()
        import timm.models.vision_transformer as vit
        self.encoder = vit.VisionTransformer(
            img_size=image, patch_size=16, in_chans=bands, num_classes=0, global_pool="", embed_dim=dim,
            depth=depth, num_heads=heads, mlp_ratio=4.0, class_token=True, reg_tokens=reg_tokens)
        self.head = TokenGridHead(dim, classes)
        self.grid = image // 16

    def forward(self, x):
        tokens = self.encoder.forward_features(x)
        patches = tokens[:, self.encoder.num_prefix_tokens:]
        grid = patches.transpose(1, 2).reshape(x.shape[0], -1, self.grid, self.grid)
        return self.head(grid, (x.shape[2], x.shape[3]))


class SwinSegmentation(nn.Module):
    """A timm Swin encoder (channels-last stage outputs) with a convolutional head."""

    def __init__(self, image=HEIGHT, bands=BANDS, classes=CLASSES, dim=16, depths=(2, 2), heads=(1, 2), window=4):
        super().__init__()
        import timm.models.swin_transformer as swin
        self.encoder = swin.SwinTransformer(
            img_size=image, patch_size=4, in_chans=bands, num_classes=0, global_pool="", embed_dim=dim,
            depths=depths, num_heads=heads, window_size=window, mlp_ratio=4.0)
        self.head = TokenGridHead(dim * 2 ** (len(depths) - 1), classes)

    def forward(self, x):
        features = self.encoder.forward_features(x)  # B x h x w x C
        return self.head(features.permute(0, 3, 1, 2), (x.shape[2], x.shape[3]))


def segformer(width_scale=0.25, classes=CLASSES, bands=BANDS):
    """smp Segformer on a MiT encoder with mit_b0's layout; `width_scale` shrinks its widths."""
    import segmentation_models_pytorch as smp
    from segmentation_models_pytorch.encoders import encoders
    base = encoders["mit_b0"]
    params = dict(base["params"])
    dims = [max(8, int(d * width_scale) // 8 * 8) for d in params["embed_dims"]]
    name = "mit_geolens_tiny" if width_scale < 1 else "mit_b0"
    if width_scale < 1:
        params.update(embed_dims=dims, num_heads=[1, 1, 2, 4], depths=[1, 1, 1, 1])
        if "out_channels" in params:
            params["out_channels"] = [3, 0] + dims
        encoders[name] = dict(base, params=params, pretrained_settings={})
    return smp.Segformer(name, encoder_weights=None, in_channels=bands, classes=classes,
                         decoder_segmentation_channels=32 if width_scale < 1 else 256)


def small_models():
    """(name, builder, dynamic spatial size) of the committed fixtures."""
    return [
        ("segformer_tiny", lambda: segformer(0.25), True),
        ("vit_tiny", lambda: ViTSegmentation(), False),
        ("swin_tiny", lambda: SwinSegmentation(), False),
    ]


def full_models():
    """Full-width versions at 256 x 256 (benchmarks only)."""
    return [
        ("segformer_mit_b0_full", lambda: segformer(1.0), True),
        ("vit_small_full", lambda: ViTSegmentation(image=256, dim=384, depth=12, heads=6, reg_tokens=0), False),
        ("swin_tiny_full", lambda: SwinSegmentation(image=256, dim=96, depths=(2, 2, 6, 2), heads=(3, 6, 12, 24), window=8), False),
    ]


def export(model, path, opset, size, dynamic_spatial):
    model.eval()
    dummy = torch.zeros(1, BANDS, size, size)
    axes = {0: "batch", 2: "height", 3: "width"} if dynamic_spatial else {0: "batch"}
    torch.onnx.export(model, (dummy,), path, dynamo=False, opset_version=opset,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": axes, "logits": axes})


def exposed_session(path):
    """An onnxruntime session on the graph with every node output added as a graph output."""
    model = onnx.load(path)
    existing = {o.name for o in model.graph.output}
    for node in model.graph.node:
        for name in node.output:
            if name and name not in existing:
                model.graph.output.append(onnx.ValueInfoProto(name=name))
                existing.add(name)
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def all_tensor_shapes(path, feed):
    session = exposed_session(path)
    names = [o.name for o in session.get_outputs()]
    return {n: list(np.asarray(v).shape) for n, v in zip(names, session.run(names, feed))}


def rounded(values, digits=None):
    flat = np.asarray(values, dtype=np.float32).reshape(-1)
    if digits is not None:
        return [round(float(v), digits) for v in flat]
    return [float(f"{v:.7g}") for v in flat]


def tensor_json(values, digits=None):
    return {"shape": list(np.asarray(values).shape), "data": rounded(values, digits)}


def fixture_input(seed=11, size=HEIGHT):
    rng = np.random.default_rng(seed)
    return np.round(rng.standard_normal((1, BANDS, size, size)), 3).astype(np.float32)


def build(name):
    entry = next(m for m in small_models() + full_models() if m[0] == name)
    fixed_seed(7)
    model = entry[1]().eval()
    # Random running statistics, so folded batch norms are not identities.
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 1.5)
    return model


def write_model_fixture(out, name, opset, dynamic_spatial, size=HEIGHT, shapes=True):
    model = build(name)
    stem = f"{name}_op{opset}"
    path = os.path.join(out, stem + ".onnx")
    export(model, path, opset, size, dynamic_spatial)
    x = fixture_input(size=size)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (y,) = session.run(["logits"], {"image": x})
    with torch.no_grad():
        drift = float(np.max(np.abs(model(torch.from_numpy(x)).numpy() - y)))
    graph = onnx.load(path)
    record = {
        "model": stem + ".onnx", "opset": opset, "bands": BANDS, "classes": CLASSES,
        "inputName": "image", "outputName": "logits",
        "input": tensor_json(x, 3), "output": tensor_json(y),
        "operators": sorted({n.op_type for n in graph.graph.node}),
        "torchDrift": drift, "onnxruntime": ort.__version__, "torch": torch.__version__,
    }
    if shapes:
        record["tensorShapes"] = all_tensor_shapes(path, {"image": x})
        if dynamic_spatial:
            record["tensorShapesTall"] = all_tensor_shapes(path, {"image": np.zeros((2, BANDS, size + 32, size), np.float32)})
    with open(os.path.join(out, stem + ".json"), "w") as f:
        json.dump(record, f, separators=(",", ":"))
    print(f"{stem}: {os.path.getsize(path) / 1e6:.2f} MB, output {list(y.shape)}, torch drift {drift:.2e}, "
          f"ops {record['operators']}")


def norm1_tensor(path, model, x, module):
    """The ONNX tensor holding the output of `module` (found by value)."""
    captured = {}

    def hook(_, __, output):
        captured["value"] = output.detach().numpy()
    handle = module.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.from_numpy(x))
    handle.remove()
    session = exposed_session(path)
    names = [o.name for o in session.get_outputs()]
    reference = captured["value"]
    matches = [n for n, v in zip(names, session.run(names, {"image": x}))
               if np.asarray(v).shape == reference.shape and np.max(np.abs(np.asarray(v) - reference)) < 1e-5]
    assert matches, "no ONNX tensor matches the module output"
    return matches[0]


def write_gradients(out, name="vit_tiny", opset=17, target_class=1):
    """`<name>_op<N>_gradients.json`: PyTorch gradients of one class's summed logits with respect
    to the input and to the token tensor of the last block's norm1 (as a leaf)."""
    model = build(name)
    path = os.path.join(out, f"{name}_op{opset}.onnx")
    x = fixture_input(seed=5)
    module = model.encoder.blocks[-1].norm1
    tensor = norm1_tensor(path, model, x, module)
    captured = {}

    def hook(_, __, output):
        output.retain_grad()
        captured["value"] = output
    handle = module.register_forward_hook(hook)
    inp = torch.from_numpy(x).requires_grad_(True)
    logits = model(inp)
    handle.remove()
    logits[:, target_class].sum().backward()
    activation = captured["value"]
    record = {
        "model": f"{name}_op{opset}.onnx", "module": "encoder.blocks.-1.norm1", "tensor": tensor, "targetClass": target_class,
        "input": tensor_json(x, 3), "logits": tensor_json(logits.detach().numpy()),
        "inputGradient": tensor_json(inp.grad.numpy()), "tensorGradient": tensor_json(activation.grad.numpy()),
        "torch": torch.__version__,
    }
    with open(os.path.join(out, f"{name}_op{opset}_gradients.json"), "w") as f:
        json.dump(record, f, separators=(",", ":"))
    print(f"{name}_op{opset}_gradients: tensor {tensor}")


def transformer_op_zoo(opset):
    """A hand-made graph on a token input `x` [batch, 5, 8] with every operator transformer exports
    may use, in the form `opset` takes: LayerNormalization (17+) over one and two axes and with its
    Mean and InvStdDev outputs, Gelu (20),
    attention as Einsum and as 4-D MatMul (also broadcast), Softmax on several axes, Tile, Trilu
    (14+), CumSum, GatherElements, ScatterND (with add from 16), Mod, comparisons and logic, Where,
    Max/Min, ReduceSum/Max/Min (axes as attribute or input), Neg/Abs/Reciprocal/Log."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(opset)
    inits, nodes = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def ints(name, values):
        return const(name, np.array(values, dtype=np.int64))

    def floats(name, shape):
        return const(name, rng.standard_normal(shape).astype(np.float32))

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def reduce(op, data, axes, name, keepdims):
        axes_are_input = opset >= (13 if op == "ReduceSum" else 18)
        if axes_are_input:
            return node(op, [data, ints(name + "_axes", axes)], name, keepdims=keepdims)
        return node(op, [data], name, axes=axes, keepdims=keepdims)

    x = "x"
    if opset >= 17:
        node("LayerNormalization", [x, floats("ln_scale", (8,)), floats("ln_bias", (8,))], "layernorm_last", epsilon=1e-5)
        node("LayerNormalization", [x, floats("ln2_scale", (5, 8))], "layernorm_two_axes", axis=1, epsilon=1e-3)
        nodes.append(helper.make_node("LayerNormalization", [x, floats("ln3_scale", (8,))],
                                      ["layernorm_stats", "layernorm_mean", "layernorm_inv_std"], name="layernorm_stats", axis=-1))
    if opset >= 20:
        node("Gelu", [x], "gelu")
        node("Gelu", [x], "gelu_tanh", approximate="tanh")
    heads = ints("heads_shape", [-1, 5, 2, 4])

    def split_heads(name):
        projected = node("MatMul", [x, floats(name + "_w", (8, 8))], name + "_proj")
        return node("Transpose", [node("Reshape", [projected, heads], name + "_heads")], name + "_t", perm=[0, 2, 1, 3])

    q, k, v = split_heads("q"), split_heads("k"), split_heads("v")
    scores = node("Einsum", [q, k], "einsum_scores", equation="bhid,bhjd->bhij")
    kt = node("Transpose", [k], "k_transposed", perm=[0, 1, 3, 2])
    node("MatMul", [q, kt], "matmul_scores")
    node("MatMul", [floats("rel_q", (1, 2, 5, 4)), kt], "matmul_broadcast")
    node("MatMul", [floats("shared_q", (5, 4)), kt], "matmul_broadcast_rank2")
    attention = node("Softmax", [scores], "softmax_last", axis=-1)
    node("Softmax", [scores], "softmax_axis1", axis=1)
    node("Einsum", [attention, v], "einsum_context", equation="bhij,bhjd->bhid")
    node("Einsum", [x, floats("einsum_w", (8, 3))], "einsum_linear", equation="bnc,cd->bnd")
    node("Einsum", [x], "einsum_transpose", equation="bnc->bcn")
    node("Einsum", [x], "einsum_reduce", equation="...c->...")
    node("Tile", [x, ints("tile_repeats", [1, 2, 3])], "tile")
    if opset >= 14:
        node("Trilu", [scores, ints("trilu_k", 1)], "trilu_lower", upper=0)
        node("Trilu", [x], "trilu_upper")
    node("CumSum", [x, ints("cumsum_axis", 1)], "cumsum")
    node("CumSum", [x, ints("cumsum_axis_last", -1)], "cumsum_exclusive_reverse", exclusive=1, reverse=1)
    gather_idx = rng.integers(-8, 8, size=(1, 5, 8)).astype(np.int64)
    node("GatherElements", [x, const("gather_idx", gather_idx)], "gather_elements", axis=2)
    scatter_idx = ints("scatter_idx", [[0, 1], [0, 3]])
    node("ScatterND", [x, scatter_idx, floats("scatter_updates", (2, 8))], "scatter_nd")
    if opset >= 16:
        node("ScatterND", [x, scatter_idx, floats("scatter_adds", (2, 8))], "scatter_nd_add", reduction="add")
    node("Mod", [x, const("mod_divisor", np.float32(0.7))], "mod_fmod", fmod=1)
    shape = node("Shape", [x], "shape")
    node("Mod", [shape, ints("mod_three", [3, 3, 3])], "mod_shape")
    less = node("Less", [x, const("zero", np.float32(0))], "less")
    greater = node("Greater", [x, const("half", np.float32(0.5))], "greater")
    node("LessOrEqual", [x, const("minus_half", np.float32(-0.5))], "less_or_equal")
    node("GreaterOrEqual", [x, x], "greater_or_equal")
    node("And", [less, greater], "and")
    node("Or", [less, greater], "or")
    node("Xor", [less, node("Not", [greater], "not")], "xor")
    node("Where", [less, x, const("masked", np.float32(-1e4))], "where_mask")
    node("Max", [x, node("Mul", [x, const("tenth", np.float32(0.1))], "scaled"), floats("max_bias", (8,))], "max")
    node("Min", [x, const("floor", np.float32(-0.3))], "min")
    reduce("ReduceSum", x, [1], "reduce_sum", 0)
    reduce("ReduceMax", x, [2], "reduce_max", 1)
    reduce("ReduceMin", x, [1, 2], "reduce_min", 1)
    reduce("ReduceMean", x, [-1], "reduce_mean", 1)
    node("Neg", [x], "neg")
    magnitude = node("Add", [node("Abs", [x], "abs"), const("one", np.float32(1))], "abs_plus_one")
    node("Reciprocal", [magnitude], "reciprocal")
    node("Log", [magnitude], "log")
    outputs = [o for n in nodes for o in n.output]
    graph = helper.make_graph(
        nodes, f"transformer_op_zoo_{opset}", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 5, 8])],
        [onnx.ValueInfoProto(name=o) for o in outputs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8 if opset < 19 else 9
    return model


def write_transformer_op_zoo(out, opset):
    """transformer_op_zoo_op<N>.onnx plus onnxruntime's shape and value for every tensor."""
    path = os.path.join(out, f"transformer_op_zoo_op{opset}.onnx")
    onnx.save(transformer_op_zoo(opset), path)
    x = np.round(np.random.default_rng(3).standard_normal((1, 5, 8)), 3).astype(np.float32)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    values = session.run(names, {"x": x})
    other = np.round(np.random.default_rng(4).standard_normal((2, 5, 8)), 3).astype(np.float32)
    record = {
        "opset": opset,
        "input": tensor_json(x, 3),
        "otherInputShape": list(other.shape),
        "tensorShapesOther": all_tensor_shapes(path, {"x": other}),
        "tensorValues": {n: tensor_json(np.asarray(v, dtype=np.float32)) for n, v in zip(names, values)},
    }
    with open(os.path.join(out, f"transformer_op_zoo_op{opset}.json"), "w") as f:
        json.dump(record, f, separators=(",", ":"))
    print(f"transformer_op_zoo_op{opset}: {len(names)} tensors")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="fixtures/onnx")
    parser.add_argument("--full", default=None)
    parser.add_argument("--only", default=None, help="export just this model name")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, _, dynamic_spatial in small_models():
        if args.only and args.only != name:
            continue
        # The ViT also at opset 14, where layer norms export as ReduceMean-Sub-Pow-ReduceMean-Add-Sqrt-Div chains.
        for opset in ((14,) if name == "vit_tiny" else ()) + OPSETS:
            write_model_fixture(args.out, name, opset, dynamic_spatial)
    if not args.only or args.only == "vit_tiny":
        write_gradients(args.out)
    if not args.only or args.only == "op_zoo":
        for opset in (13, 17, 18, 20):
            write_transformer_op_zoo(args.out, opset)
    if args.full:
        os.makedirs(args.full, exist_ok=True)
        for name, _, dynamic_spatial in full_models():
            write_model_fixture(args.full, name, 17, dynamic_spatial, size=256, shapes=False)


if __name__ == "__main__":
    main()
