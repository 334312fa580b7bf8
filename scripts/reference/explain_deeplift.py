"""Reference DeepLIFT and DeepSHAP attributions (captum DeepLift / DeepLiftShap, rescale rule).

Writes fixtures/reference/explain/deeplift.json and the small ONNX graphs it explains:

  unet-*     the classic U-Net fixture checkpoint (fixtures/models/unet_in4_c2.pth, the weights of
             unet_in4_c2.safetensors) and its ONNX export (fixtures/reference/explain/unet_in4_c2.onnx,
             written by explain_attributions.py): segmentation targets (class logits summed over a mask).
  zoo-*      deeplift_zoo.onnx: every nonlinearity the rescale rule treats (ReLU after Conv+BN, leaky
             ReLU, tanh, sigmoid, a 2x2 and an overlapping 3x3/2 max pool) and linear ops (bilinear
             upsampling, concatenation, average pooling) in one small segmentation net.
  cls-*      deeplift_classifier.onnx: a tile classifier ([N, K] scores), captum's integer target.
  two-*      deeplift_two_inputs.onnx: a model with two named inputs (image [N,4,H,W], dem [N,1,H,W]);
             one attribution per input.

Each case stores the model inputs, the references (one list of tensors per reference), the mask
(absent for classifier targets), captum's attributions (one per input) and convergence deltas,
and f(x) and f(reference) of the target.
Run: /work/venv-tf/bin/python scripts/reference/explain_deeplift.py
"""
import json
import os
import sys
import warnings

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, tensor_json  # noqa: E402
from models import UNet  # noqa: E402

OUT = os.path.join(ROOT, "fixtures", "reference", "explain")
MODELS = os.path.join(ROOT, "fixtures", "models")


class Zoo(nn.Module):
    """Each nonlinearity is its own module, as captum's hooks need."""

    def __init__(self, channels=4, classes=3):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.leaky = nn.LeakyReLU(0.1)
        self.pool2 = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(8, 8, 3, padding=1)
        self.tanh = nn.Tanh()
        self.up = nn.Upsample(scale_factor=4, mode="bilinear", align_corners=False)
        self.avg = nn.AvgPool2d(3, stride=1, padding=1)
        self.conv4 = nn.Conv2d(16, 8, 3, padding=1)
        self.sigmoid = nn.Sigmoid()
        self.out = nn.Conv2d(8, classes, 1)

    def forward(self, x):
        a = self.relu1(self.bn1(self.conv1(x)))
        b = self.leaky(self.conv2(self.pool1(a)))
        c = self.tanh(self.conv3(self.pool2(b)))
        d = torch.cat([self.avg(a), self.up(c)], dim=1)
        return self.out(self.sigmoid(self.conv4(d)))


class Classifier(nn.Module):
    def __init__(self, channels=4, classes=3):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 8, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, classes)

    def forward(self, x):
        y = self.relu2(self.conv2(self.pool(self.relu1(self.conv1(x)))))
        return self.fc(torch.flatten(self.gap(y), 1))


class TwoInputs(nn.Module):
    """An image branch and a DEM branch fused by concatenation."""

    def __init__(self, classes=2):
        super().__init__()
        self.image_conv = nn.Conv2d(4, 6, 3, padding=1)
        self.image_relu = nn.ReLU()
        self.dem_conv = nn.Conv2d(1, 2, 3, padding=1)
        self.dem_tanh = nn.Tanh()
        self.fuse = nn.Conv2d(8, 8, 3, padding=1)
        self.fuse_relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Conv2d(8, 8, 3, padding=1)
        self.head_sigmoid = nn.Sigmoid()
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.out = nn.Conv2d(8, classes, 1)

    def forward(self, image, dem):
        y = torch.cat([self.image_relu(self.image_conv(image)), self.dem_tanh(self.dem_conv(dem))], dim=1)
        y = self.pool(self.fuse_relu(self.fuse(y)))
        return self.out(self.up(self.head_sigmoid(self.head(y))))


class MaskedTarget(nn.Module):
    """y = sum over the mask of class c's logits, per batch item (GeoLens' SegmentationTarget)."""

    def __init__(self, model, c, mask):
        super().__init__()
        self.model, self.c = model, c
        self.register_buffer("mask", mask)

    def forward(self, *xs):
        return (self.model(*xs)[:, self.c] * self.mask).sum(dim=(1, 2))


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)
    return model.eval()


def export(model, path, inputs, names, classifier=False):
    dynamic = {name: {0: "batch", 2: "height", 3: "width"} for name in names}
    dynamic["logits"] = {0: "batch"} if classifier else {0: "batch", 2: "height", 3: "width"}
    torch.onnx.export(model, tuple(inputs), path, dynamo=False, opset_version=17, input_names=names,
                      output_names=["logits"], dynamic_axes=dynamic)


def tile_mean(x):
    return x.mean(dim=(2, 3), keepdim=True).expand_as(x).contiguous()


def run_case(name, kind, model_file, model, inputs, references, c, mask):
    """captum on `model` (a module taking the inputs); references: list of tuples of tensors."""
    from captum.attr import DeepLift, DeepLiftShap
    wrapped = MaskedTarget(model, c, mask).eval() if mask is not None else model
    target = None if mask is not None else c
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "deeplift":
            assert len(references) == 1
            attributions, delta = DeepLift(wrapped).attribute(tuple(inputs), baselines=tuple(references[0]),
                                                              target=target, return_convergence_delta=True)
        else:
            stacked = tuple(torch.cat([r[i] for r in references]) for i in range(len(inputs)))
            attributions, delta = DeepLiftShap(wrapped).attribute(tuple(inputs), baselines=stacked, target=target,
                                                                  return_convergence_delta=True)
    with torch.no_grad():
        def value(xs):
            out = wrapped(*xs)
            return float(out[0] if mask is not None else out[0, c])
        full = value(inputs)
        reference_values = [value(r) for r in references]
    case = {"name": name, "kind": kind, "model": model_file, "class": c,
            "inputs": [tensor_json(x) for x in inputs],
            "references": [[tensor_json(t) for t in r] for r in references],
            "outputs": [tensor_json(a.detach()) for a in attributions],
            "deltas": [float(d) for d in delta.reshape(-1)],
            "full_value": full, "reference_values": reference_values}
    if mask is not None:
        case["mask"] = tensor_json(mask)
    total = sum(float(a.sum()) for a in attributions)
    gap = full - sum(reference_values) / len(reference_values)
    print(f"{name}: sum {total:.6f}, f(x) - E f(b) {gap:.6f}, max |delta| {max(abs(d) for d in case['deltas']):.2e}",
          file=sys.stderr)
    return case


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    cases = []

    # (a) The built-in U-Net fixture, and (b) its ONNX export.
    unet = UNet(4, 2, base=8, depth=3)
    unet.load_state_dict(torch.load(os.path.join(MODELS, "unet_in4_c2.pth")))
    unet.eval()
    g = torch.Generator().manual_seed(11)
    x = torch.randn(1, 4, 32, 32, generator=g)
    with torch.no_grad():
        pred = unet(x).argmax(1)[0]
    mask1 = (pred == 1).float()
    window = torch.zeros(32, 32)
    window[6:22, 4:26] = 1
    backgrounds = [(torch.randn(1, 4, 32, 32, generator=g) * 0.8 + 0.1,) for _ in range(5)]
    for prefix, model_file in (("unet", "fixtures/models/unet_in4_c2.safetensors"),
                               ("onnx-unet", "fixtures/reference/explain/unet_in4_c2.onnx")):
        cases.append(run_case(f"{prefix}-deeplift-c1", "deeplift", model_file, unet, [x], [(tile_mean(x),)], 1, mask1))
        cases.append(run_case(f"{prefix}-deeplift-zero-c0", "deeplift", model_file, unet, [x],
                              [(torch.zeros_like(x),)], 0, window))
        cases.append(run_case(f"{prefix}-deepshap-c1", "deepshap", model_file, unet, [x], backgrounds, 1, mask1))

    # The op zoo: every rule in one graph.
    zoo = randomize(Zoo(), 3)
    zoo_file = "deeplift_zoo.onnx"
    xz = torch.randn(1, 4, 16, 16, generator=g)
    export(zoo, os.path.join(OUT, zoo_file), [torch.zeros(1, 4, 16, 16)], ["image"])
    with open(os.path.join(OUT, zoo_file + ".json"), "w") as f:
        json.dump({"architecture": "onnx", "in_channels": 4, "classes": ["a", "b", "c"]}, f, indent=2)
    with torch.no_grad():
        zoo_pred = zoo(xz).argmax(1)[0]
    zoo_mask = (zoo_pred == 2).float() if (zoo_pred == 2).any() else torch.ones(16, 16)
    zoo_path = "fixtures/reference/explain/" + zoo_file
    cases.append(run_case("zoo-deeplift-c2", "deeplift", zoo_path, zoo, [xz], [(tile_mean(xz),)], 2, zoo_mask))
    zoo_backgrounds = [(torch.randn(1, 4, 16, 16, generator=g),) for _ in range(3)]
    cases.append(run_case("zoo-deepshap-c0", "deepshap", zoo_path, zoo, [xz], zoo_backgrounds, 0, torch.ones(16, 16)))

    # A tile classifier: captum's integer target on [N, K] scores.
    classifier = Classifier().eval()
    cls_file = "deeplift_classifier.onnx"
    export(classifier, os.path.join(OUT, cls_file), [torch.zeros(1, 4, 16, 16)], ["image"], classifier=True)
    with open(os.path.join(OUT, cls_file + ".json"), "w") as f:
        json.dump({"architecture": "onnx", "task": "classification", "in_channels": 4, "classes": ["a", "b", "c"]},
                  f, indent=2)
    xc = torch.randn(1, 4, 16, 16, generator=g)
    cls_path = "fixtures/reference/explain/" + cls_file
    cases.append(run_case("cls-deeplift-c1", "deeplift", cls_path, classifier, [xc], [(tile_mean(xc),)], 1, None))
    cases.append(run_case("cls-deepshap-c2", "deepshap", cls_path, classifier, [xc],
                          [(torch.randn(1, 4, 16, 16, generator=g),) for _ in range(3)], 2, None))

    # Two named inputs.
    two = TwoInputs().eval()
    two_file = "deeplift_two_inputs.onnx"
    export(two, os.path.join(OUT, two_file), [torch.zeros(1, 4, 16, 16), torch.zeros(1, 1, 16, 16)], ["image", "dem"])
    image = torch.randn(1, 4, 16, 16, generator=g)
    dem = torch.randn(1, 1, 16, 16, generator=g) * 2
    two_path = "fixtures/reference/explain/" + two_file
    with torch.no_grad():
        two_mask = (two(image, dem).argmax(1)[0] == 1).float()
    if two_mask.sum() == 0:
        two_mask = torch.ones(16, 16)
    cases.append(run_case("two-deeplift-c1", "deeplift", two_path, two, [image, dem],
                          [(tile_mean(image), tile_mean(dem))], 1, two_mask))
    cases.append(run_case("two-deepshap-c1", "deepshap", two_path, two, [image, dem],
                          [(torch.randn(1, 4, 16, 16, generator=g), torch.randn(1, 1, 16, 16, generator=g))
                           for _ in range(3)], 1, two_mask))

    import captum
    doc = {"generator": "scripts/reference/explain_deeplift.py", "torch": torch.__version__,
           "captum": captum.__version__, "cases": cases}
    path = os.path.join(OUT, "deeplift.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    os.replace(tmp, path)
    print(f"wrote {len(cases)} cases to {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
