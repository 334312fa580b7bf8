"""Reference logits of torchvision ResNet classifiers for the built-in `resnet18|34|50`.

Full-size ResNets are 45-100 MB, too large to commit, so the weights come from a formula that
the Swift test evaluates too: the k-th floating tensor of `state_dict()` (in its order, counting
from 0) is built from the integer hash v[i] = ((i * 2654435761 + k * 40503 + 12345) mod 2^32) / 2^31 - 1
(exact in both languages, uniform in [-1, 1)), mapped to a range that keeps activations finite:
  convolution and fc weights: v sqrt(3 / fan_in)   (fan_in = in x kh x kw, or in for fc)
  batch-norm weight: 0.5 + 0.25 v;  biases and running_mean: 0.1 v;  running_var: 1 + 0.25 (v + 1)
(see `formula` below; num_batches_tracked is an integer and skipped). The first convolution is
widened to 4 input bands and fc has 5 classes, as GeoLens builds them from a card with
in_channels 4 and five classes. The input is x[i] = ((7 i^2 + 37 i) mod 101) / 128 over [2, 4, 64, 64].

Writes fixtures/reference/models/resnet_classifier.json:
  {"keys": {"resnet18": [[name, shape], ...], ...},
   "logits": {"resnet18": {"shape": [2, 5], "data": [...]}, ...}}

Run: /work/venv-classify/bin/python scripts/reference/torchvision_resnet_classifier.py
"""
import json
import math
import os

import torch
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "fixtures", "reference", "models", "resnet_classifier.json")
IN_CHANNELS, CLASSES = 4, 5


def formula(name, shape, k):
    n = math.prod(shape)
    i = torch.arange(n, dtype=torch.int64)
    v = ((i * 2654435761 + k * 40503 + 12345) % 4294967296).to(torch.float64) / 2147483648.0 - 1
    leaf = name.rsplit(".", 1)[-1]
    is_bn = "bn" in name or ".downsample.1." in name
    if leaf == "weight" and not is_bn:
        fan_in = n // shape[0]
        v = v * math.sqrt(3.0 / fan_in)
    elif leaf == "weight":
        v = 0.5 + 0.25 * v
    elif leaf == "running_var":
        v = 1 + 0.25 * (v + 1)
    elif leaf in ("bias", "running_mean"):
        v = 0.1 * v
    else:
        raise ValueError(name)
    return v.to(torch.float32).reshape(shape)


def build(variant):
    model = getattr(torchvision.models, variant)(weights=None, num_classes=CLASSES)
    model.conv1 = torch.nn.Conv2d(IN_CHANNELS, 64, kernel_size=7, stride=2, padding=3, bias=False)
    sd = model.state_dict()
    k = 0
    for name, value in sd.items():
        if not value.is_floating_point():
            continue
        value.copy_(formula(name, list(value.shape), k))
        k += 1
    model.eval()
    return model, sd


def main():
    i = torch.arange(2 * IN_CHANNELS * 64 * 64, dtype=torch.int64)
    x = ((7 * i * i + 37 * i) % 101).to(torch.float32).div(128).reshape(2, IN_CHANNELS, 64, 64)
    doc = {"generator": "scripts/reference/torchvision_resnet_classifier.py", "torch": torch.__version__,
           "torchvision": torchvision.__version__, "in_channels": IN_CHANNELS, "classes": CLASSES,
           "input_shape": list(x.shape), "keys": {}, "logits": {}}
    for variant in ("resnet18", "resnet34", "resnet50"):
        model, sd = build(variant)
        doc["keys"][variant] = [[k, list(v.shape)] for k, v in sd.items()]
        with torch.no_grad():
            y = model(x)
        doc["logits"][variant] = {"shape": list(y.shape), "data": [float(f"{v:.9g}") for v in y.reshape(-1).tolist()]}
        print(variant, y.tolist())
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
