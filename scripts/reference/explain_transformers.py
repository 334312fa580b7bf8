"""pytorch-grad-cam reference maps for transformer layers of the ONNX transformer fixtures.

Writes fixtures/reference/explain/transformers.json: GradCAM and GradCAM++ maps of pytorch-grad-cam
(SemanticSegmentationTarget with the predicted-class mask) on token layers of the models that
scripts/onnx/export_transformers.py exported to fixtures/onnx (rebuilt here with the same seeds,
checked against the stored onnxruntime logits), each with the `reshape_transform` its tutorial
uses: ViT tokens without their class and register tokens on the 4 x 4 patch grid, Swin and
SegFormer tokens on their grid, Swin's channels-last stage output transposed. Each case names the
layer by ONNX tensor (found by value) and by PyTorch module path, in the format of
attributions.json.

Run: /work/venv-tf/bin/python scripts/reference/explain_transformers.py (needs grad-cam as well).
"""
import json
import os
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "onnx"))
from export_transformers import build, exposed_session, fixture_input, rounded  # noqa: E402

OUT = os.path.join(ROOT, "fixtures", "reference", "explain")


def tensor_json(t):
    values = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    return {"shape": list(values.shape), "data": rounded(values)}


def tokens_to_grid(prefix, rows, columns):
    def transform(t):
        if t.dim() == 4:  # channels-last map
            return t.permute(0, 3, 1, 2)
        t = t[:, prefix:, :]
        return t.reshape(t.size(0), rows, columns, t.size(2)).permute(0, 3, 1, 2)
    return transform


def onnx_tensor(stem, model, x, module):
    """The ONNX tensor whose value equals `module`'s output on `x`."""
    captured = {}

    def hook(_, __, output):
        captured["value"] = output.detach().numpy()
    handle = module.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.from_numpy(x))
    handle.remove()
    session = exposed_session(os.path.join(ROOT, "fixtures", "onnx", stem + ".onnx"))
    names = [o.name for o in session.get_outputs()]
    reference = captured["value"]
    matches = [n for n, v in zip(names, session.run(names, {"image": x}))
               if np.asarray(v).shape == reference.shape and np.max(np.abs(np.asarray(v) - reference)) < 1e-5]
    assert matches, f"no tensor of {stem} matches the module output"
    return matches[0]


def cam_cases(name, stem, module_path, prefix, grid, methods, classes):
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
    from pytorch_grad_cam.utils.model_targets import SemanticSegmentationTarget
    model = build(name)
    with open(os.path.join(ROOT, "fixtures", "onnx", stem + ".json")) as f:
        stored = json.load(f)
    x0 = np.asarray(stored["input"]["data"], dtype=np.float32).reshape(stored["input"]["shape"])
    with torch.no_grad():
        drift = float(np.max(np.abs(model(torch.from_numpy(x0)).numpy().reshape(-1) - np.asarray(stored["output"]["data"]))))
    assert drift < 1e-4, f"rebuilt {name} differs from {stem}.onnx by {drift}"
    module = model.get_submodule(module_path)
    x = fixture_input(seed=23)
    layer = onnx_tensor(stem, model, x, module)
    inputs = torch.from_numpy(x)
    with torch.no_grad():
        prediction = model(inputs).argmax(1)[0]
    cases = []
    for method, c in zip(methods, classes):
        mask = (prediction == c).float()
        if mask.sum() == 0:
            mask = torch.zeros_like(mask)
            mask[16:40, 8:48] = 1
        cls = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus}[method]
        with cls(model=model, target_layers=[module], reshape_transform=tokens_to_grid(prefix, *grid)) as cam:
            result = cam(input_tensor=inputs, targets=[SemanticSegmentationTarget(c, mask.numpy())])
        cases.append({"name": f"{name}-{method}-c{c}", "kind": "cam", "method": method,
                      "model": f"fixtures/onnx/{stem}.onnx", "layer": layer, "module": module_path, "class": c,
                      "input": tensor_json(inputs), "mask": tensor_json(mask), "output": tensor_json(result[0])})
        print(f"{cases[-1]['name']}: layer {layer} ({module_path}), mask {int(mask.sum())} px", file=sys.stderr)
    return cases


def main():
    torch.manual_seed(0)
    cases = []
    # ViT: the last block's norm1, class and register tokens dropped (pytorch-grad-cam's ViT tutorial).
    cases += cam_cases("vit_tiny", "vit_tiny_op17", "encoder.blocks.2.norm1", 2, (4, 4), ["gradcam", "gradcam++"], [1, 0])
    # Swin: the last block's norm2 (tokens [B, h * w, C]) and the final channels-last norm.
    cases += cam_cases("swin_tiny", "swin_tiny_op18", "encoder.layers.1.blocks.1.norm2", 0, (8, 8), ["gradcam"], [1])
    cases += cam_cases("swin_tiny", "swin_tiny_op18", "encoder.norm", 0, (8, 8), ["gradcam++"], [2])
    # SegFormer: the second stage's block norm2 (tokens of the 8 x 8 grid).
    cases += cam_cases("segformer_tiny", "segformer_tiny_op20", "encoder.block2.0.norm2", 0, (8, 8), ["gradcam", "gradcam++"], [0, 2])
    import pytorch_grad_cam
    doc = {"generator": "scripts/reference/explain_transformers.py", "torch": torch.__version__,
           "grad_cam": getattr(pytorch_grad_cam, "__version__", "1.5"), "cases": cases}
    path = os.path.join(OUT, "transformers.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
