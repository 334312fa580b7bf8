"""Reference attributions for GeoLensExplain.

Writes fixtures/reference/explain/attributions.json (and unet_in4_c2.onnx + its card for the
ONNX-imported parity case) from the fixture checkpoints of scripts/reference/models.py:

  cam       GradCAM / GradCAM++ maps of pytorch-grad-cam 1.5 (SemanticSegmentationTarget with
            the stored mask, the named target layer), on the classic U-Net and an smp Unet(resnet34).
  shap      Shapley values over band groups (optionally crossed with a 2x2 grid of cells) by brute
            force over every permutation of the features, in float64, with v(S) the sum of the
            class's logits over the mask when the features outside S take the baseline.
  ig        captum IntegratedGradients (gausslegendre, 50 steps) with the per-band tile mean baseline.

Every case stores the input (already normalized model input), the mask and the class.
Run: /work/venv/bin/python scripts/reference/explain_attributions.py
"""
import itertools
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, tensor_json  # noqa: E402
from models import UNet, smp_unet  # noqa: E402

OUT = os.path.join(ROOT, "fixtures", "reference", "explain")
MODELS = os.path.join(ROOT, "fixtures", "models")


def load_unet():
    model = UNet(4, 2, base=8, depth=3)
    model.load_state_dict(torch.load(os.path.join(MODELS, "unet_in4_c2.pth")))
    return model.eval()


def load_smp():
    model = smp_unet("resnet34", 4, 2, 3, (32, 16, 8))
    state = {k: v.float() for k, v in torch.load(os.path.join(MODELS, "smp_unet_resnet34_in4_c2.pth")).items()}
    model.load_state_dict(state, strict=False)
    return model.eval()


def target_value(logits, c, mask):
    return (logits[:, c] * mask).sum(dim=(1, 2))


def cam_case(name, model, model_file, layer_name, layer_module, method, x, c, mask):
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
    from pytorch_grad_cam.utils.model_targets import SemanticSegmentationTarget
    cls = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus}[method]
    with cls(model=model, target_layers=[layer_module]) as cam:
        result = cam(input_tensor=x, targets=[SemanticSegmentationTarget(c, mask.numpy())])
    return {"name": name, "kind": "cam", "method": method, "model": model_file, "layer": layer_name,
            "class": c, "input": tensor_json(x), "mask": tensor_json(mask),
            "output": tensor_json(torch.from_numpy(result[0]))}


def shap_case(name, model, model_file, x, c, mask, groups, grid=None):
    """Brute-force Shapley values: the mean marginal contribution over all feature orderings."""
    model64 = model.double()
    x64 = x.double()
    baseline = x64.mean(dim=(2, 3), keepdim=True).expand_as(x64).clone()
    height, width = x.shape[2], x.shape[3]
    features = []
    for channels in groups:
        if grid is None:
            features.append((channels, None))
        else:
            for r in range(grid):
                for q in range(grid):
                    features.append((channels, (q * width // grid, r * height // grid,
                                                (q + 1) * width // grid - q * width // grid,
                                                (r + 1) * height // grid - r * height // grid)))
    m = len(features)
    cache = {}

    def value(present):
        key = frozenset(present)
        if key not in cache:
            h = baseline.clone()
            for i in key:
                channels, cell = features[i]
                for ch in channels:
                    if cell is None:
                        h[0, ch] = x64[0, ch]
                    else:
                        cx, cy, cw, chh = cell
                        h[0, ch, cy:cy + chh, cx:cx + cw] = x64[0, ch, cy:cy + chh, cx:cx + cw]
            with torch.no_grad():
                cache[key] = float(target_value(model64(h), c, mask.double())[0])
        return cache[key]

    phi = [0.0] * m
    count = 0
    for order in itertools.permutations(range(m)):
        present = []
        before = value(present)
        for i in order:
            present.append(i)
            after = value(present)
            phi[i] += after - before
            before = after
        count += 1
    phi = [p / count for p in phi]
    model.float()
    return {"name": name, "kind": "shap", "method": "shap-exact", "model": model_file, "class": c,
            "input": tensor_json(x), "mask": tensor_json(mask), "groups": groups, "grid": grid or 0,
            "values": phi, "base_value": value([]), "full_value": value(range(m))}


def ig_case(name, model, model_file, x, c, mask):
    from captum.attr import IntegratedGradients
    baseline = x.mean(dim=(2, 3), keepdim=True).expand_as(x).contiguous()
    ig = IntegratedGradients(lambda inp: target_value(model(inp), c, mask))
    attributions = ig.attribute(x, baselines=baseline, n_steps=50, method="gausslegendre",
                                internal_batch_size=10)
    return {"name": name, "kind": "ig", "method": "integrated-gradients", "model": model_file, "class": c,
            "input": tensor_json(x), "mask": tensor_json(mask), "output": tensor_json(attributions.detach())}


def export_onnx(model, path):
    import onnx
    dummy = torch.zeros(1, 4, 32, 32)
    torch.onnx.export(model, (dummy,), path, dynamo=False, opset_version=17,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"},
                                    "logits": {0: "batch", 2: "height", 3: "width"}})
    graph = onnx.load(path).graph
    # The tensor the down3 block produces: the output of its last node.
    down3 = [n for n in graph.node if n.name.startswith("/down3/")]
    return down3[-1].output[0]


def main():
    torch.manual_seed(0)
    unet = load_unet()
    smp = load_smp()
    g = torch.Generator().manual_seed(7)
    x = torch.randn(1, 4, 32, 32, generator=g)
    x_smp = torch.randn(1, 4, 32, 32, generator=g)
    with torch.no_grad():
        pred = unet(x).argmax(1)[0]
        pred_smp = smp(x_smp).argmax(1)[0]
    window = torch.zeros(32, 32)
    window[8:20, 4:28] = 1
    cases = []
    unet_file = "fixtures/models/unet_in4_c2.safetensors"
    smp_file = "fixtures/models/smp_unet_resnet34_in4_c2.safetensors"
    for method in ("gradcam", "gradcam++"):
        for c in (0, 1):
            mask = (pred == c).float()
            if mask.sum() == 0:
                mask = window
            cases.append(cam_case(f"unet-{method}-c{c}", unet, unet_file, "down3", unet.down3, method, x, c, mask))
            cases.append(cam_case(f"unet-{method}-up1-c{c}", unet, unet_file, "up1", unet.up1, method, x, c, mask))
            mask_smp = (pred_smp == c).float()
            if mask_smp.sum() == 0:
                mask_smp = window
            cases.append(cam_case(f"smp-{method}-c{c}", smp, smp_file, "encoder.layer2", smp.encoder.layer2,
                                  method, x_smp, c, mask_smp))
    onnx_path = os.path.join(OUT, "unet_in4_c2.onnx")
    os.makedirs(OUT, exist_ok=True)
    onnx_layer = export_onnx(unet, onnx_path)
    with open(os.path.join(OUT, "unet_in4_c2.onnx.json"), "w") as f:
        json.dump({"architecture": "onnx", "in_channels": 4, "classes": ["clear", "cloud"]}, f, indent=2)
    for case in [c for c in cases if c["name"].startswith("unet-") and "-up1-" not in c["name"]]:
        onnx_case = dict(case)
        onnx_case.update(name="onnx-" + case["name"], model="fixtures/reference/explain/unet_in4_c2.onnx",
                         layer=onnx_layer)
        cases.append(onnx_case)
    mask1 = (pred == 1).float() if (pred == 1).any() else window
    cases.append(shap_case("unet-shap-bands", unet, unet_file, x, 1, mask1, [[0], [1], [2], [3]]))
    cases.append(shap_case("unet-shap-groups", unet, unet_file, x, 0, window, [[0, 1], [2], [3]]))
    cases.append(shap_case("unet-shap-grid", unet, unet_file, x, 1, mask1, [[0, 1], [2, 3]], grid=2))
    cases.append(ig_case("unet-ig-c1", unet, unet_file, x, 1, mask1))
    cases.append(ig_case("smp-ig-c0", smp, smp_file, x_smp, 0, window))
    import captum
    import pytorch_grad_cam
    doc = {"generator": "scripts/reference/explain_attributions.py", "torch": torch.__version__,
           "captum": captum.__version__, "grad_cam": getattr(pytorch_grad_cam, "__version__", "1.5"),
           "cases": cases}
    path = os.path.join(OUT, "attributions.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
