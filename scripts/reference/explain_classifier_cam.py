"""Reference CAM maps of a tile classifier, computed with pytorch-grad-cam 1.5's ClassifierOutputTarget.

Writes fixtures/reference/explain/classifier_cam.json. The model is the fixture classifier
fixtures/classification/tile_classifier.onnx rebuilt in PyTorch with the same weights (Conv 3x3
-> ReLU -> global average pool -> Linear); the CAM layer is the ReLU output (ONNX tensor
`features_relu`, GeoLens's default layer for this graph). `tiles` holds each chip's input
(reflectance, float32 [1, 4, 16, 16]) and logits; each case the method, the class and the map
pytorch-grad-cam returns for ClassifierOutputTarget(class) (ReLU, min-max, resize to the input).
The Swift test (Tests/GeoLensExplainTests/ClassifierCAMParityTests.swift) compares at 1e-4.

Run: /work/venv-classify/bin/python scripts/reference/explain_classifier_cam.py
     (needs torch, onnx, rasterio, grad-cam)
"""
import importlib.metadata
import json
import os
import sys

import numpy as np
import onnx
import rasterio
import torch
from onnx import numpy_helper
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, HiResCAM, LayerCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT  # noqa: E402

FIXTURE = os.path.join(ROOT, "fixtures", "classification")
CHIPS = ["water/chip_02.tif", "vegetation/chip_09.tif"]
METHODS = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus, "hirescam": HiResCAM, "layercam": LayerCAM}


class Classifier(torch.nn.Module):
    def __init__(self, weights):
        super().__init__()
        self.conv = torch.nn.Conv2d(4, 8, 3, padding=1)
        self.relu = torch.nn.ReLU()
        self.head = torch.nn.Linear(8, 3)
        with torch.no_grad():
            self.conv.weight.copy_(torch.from_numpy(weights["conv.weight"]))
            self.conv.bias.copy_(torch.from_numpy(weights["conv.bias"]))
            self.head.weight.copy_(torch.from_numpy(weights["head.weight"]))
            self.head.bias.copy_(torch.from_numpy(weights["head.bias"]))

    def forward(self, x):
        return self.head(self.relu(self.conv(x)).mean((2, 3)))


def main():
    graph = onnx.load(os.path.join(FIXTURE, "tile_classifier.onnx"))
    weights = {t.name: numpy_helper.to_array(t).copy() for t in graph.graph.initializer}
    model = Classifier(weights).eval()
    cases, tiles = [], {}
    for chip in CHIPS:
        with rasterio.open(os.path.join(FIXTURE, "images", chip)) as src:
            x = torch.from_numpy((src.read().astype(np.float32) * np.float32(0.0001))[None])
        logits = model(x).detach()[0]
        tiles[chip] = {"shape": list(x.shape), "input": [float(f"{v:.9g}") for v in x.reshape(-1).tolist()],
                       "logits": [float(f"{v:.9g}") for v in logits.tolist()]}
        for method, cls in METHODS.items():
            for c in range(3):
                with cls(model=model, target_layers=[model.relu]) as cam:
                    grayscale = cam(input_tensor=x, targets=[ClassifierOutputTarget(c)])[0]
                cases.append({"tile": chip, "method": method, "class": c,
                              "map": [float(f"{v:.7g}") for v in grayscale.reshape(-1).tolist()]})
    out = {"generator": "scripts/reference/explain_classifier_cam.py", "torch": torch.__version__,
           "grad_cam": importlib.metadata.version("grad-cam"), "layer": "features_relu", "tiles": tiles, "cases": cases}
    path = os.path.join(ROOT, "fixtures", "reference", "explain", "classifier_cam.json")
    with open(path, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
