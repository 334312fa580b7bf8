"""Reference CAM maps of the built-in resnet18 classifier, computed with pytorch-grad-cam's
ClassifierOutputTarget on torchvision's resnet18 (fixtures/reference/explain/resnet_classifier_cam.json).

The model is the one of torchvision_resnet_classifier.py (4 bands, 5 classes, the integer-hash
formula weights, evaluation mode) and the input its first image, [1, 4, 64, 64]. Cases: GradCAM,
GradCAM++, HiResCAM and LayerCAM on `layer3` (4 x 4) and `layer4` (2 x 2, GeoLens's default layer)
for classes 0 and 3; each map is what pytorch-grad-cam returns (ReLU, min-max, bilinear resize to
64 x 64). The Swift test (Tests/GeoLensExplainTests/ResNetClassifierCAMParityTests.swift) loads the
same weights through a safetensors checkpoint and compares at 1e-4.

Run: /work/venv-classify/bin/python scripts/reference/explain_resnet_classifier_cam.py (torch, torchvision, grad-cam)
"""
import importlib.metadata
import json
import os
import sys

import torch
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, HiResCAM, LayerCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_resnet_classifier import IN_CHANNELS, ROOT, build  # noqa: E402

METHODS = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus, "hirescam": HiResCAM, "layercam": LayerCAM}


def main():
    model, _ = build("resnet18")
    i = torch.arange(IN_CHANNELS * 64 * 64, dtype=torch.int64)
    x = ((7 * i * i + 37 * i) % 101).to(torch.float32).div(128).reshape(1, IN_CHANNELS, 64, 64)
    cases = []
    for layer in ("layer3", "layer4"):
        for method, cls in METHODS.items():
            for c in (0, 3):
                with cls(model=model, target_layers=[getattr(model, layer)]) as cam:
                    grayscale = cam(input_tensor=x, targets=[ClassifierOutputTarget(c)])[0]
                cases.append({"layer": layer, "method": method, "class": c,
                              "map": [float(f"{v:.7g}") for v in grayscale.reshape(-1).tolist()]})
    out = {"generator": "scripts/reference/explain_resnet_classifier_cam.py", "torch": torch.__version__,
           "grad_cam": importlib.metadata.version("grad-cam"), "input_shape": list(x.shape), "cases": cases}
    path = os.path.join(ROOT, "fixtures", "reference", "explain", "resnet_classifier_cam.json")
    with open(path, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
