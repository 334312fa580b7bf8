"""Reference checkpoints and logits for the built-in architectures.

Writes into fixtures/models/:
  <name>.pth            torch.save(model.state_dict())
  <name>.safetensors    the same weights via safetensors.torch.save_file
  <name>.json           model card (GeoLens sidecar)
  <name>.logits.json    {"input": tensor, "output": tensor} in eval mode
  keys.json             state_dict key names and shapes of full-size smp Unets (resnet18/34/50)

Weights are rounded to float16 before saving (and the PyTorch model reloads the rounded
weights before computing logits) so that the ResNet-34 fixtures stay a few MB; GeoLens
reads float16 and float32 alike. Full-size models are checked by running this script with
--full (writes to a temporary directory, prints the max abs difference GeoLens must match).

Run: python scripts/reference/models.py
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, tensor_json  # noqa: E402

OUT = os.path.join(ROOT, "fixtures", "models")


# The classic U-Net with milesial/Pytorch-UNet's module names, generalized to depth/base width.
class DoubleConv(nn.Module):
    def __init__(self, in_channels, out_channels, mid_channels=None):
        super().__init__()
        mid_channels = mid_channels or out_channels
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))

    def forward(self, x):
        return self.double_conv(x)


class Down(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(in_channels, out_channels))

    def forward(self, x):
        return self.maxpool_conv(x)


class Up(nn.Module):
    def __init__(self, in_channels, out_channels, bilinear):
        super().__init__()
        if bilinear:
            self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
            self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
        else:
            self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
            self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x1, x2):
        x1 = self.up(x1)
        dy, dx = x2.size(2) - x1.size(2), x2.size(3) - x1.size(3)
        x1 = F.pad(x1, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        return self.conv(torch.cat([x2, x1], dim=1))


class OutConv(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1)

    def forward(self, x):
        return self.conv(x)


class UNet(nn.Module):
    def __init__(self, n_channels, n_classes, base=64, depth=4, bilinear=False):
        super().__init__()
        factor = 2 if bilinear else 1
        w = [base << i for i in range(depth + 1)]
        self.inc = DoubleConv(n_channels, w[0])
        for i in range(1, depth + 1):
            setattr(self, f"down{i}", Down(w[i - 1], w[i] // factor if i == depth else w[i]))
        for i in range(1, depth + 1):
            level = depth - i
            setattr(self, f"up{i}", Up(w[level + 1], w[0] if i == depth else w[level] // factor, bilinear))
        self.outc = OutConv(w[0], n_classes)
        self.depth = depth

    def forward(self, x):
        skips = [self.inc(x)]
        for i in range(1, self.depth + 1):
            skips.append(getattr(self, f"down{i}")(skips[-1]))
        y = skips.pop()
        for i in range(1, self.depth + 1):
            y = getattr(self, f"up{i}")(y, skips.pop())
        return self.outc(y)


def randomize_batchnorm(model, seed):
    """Non-trivial running statistics and affine parameters, so eval-mode BN is really tested."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)
            m.num_batches_tracked.fill_(7)


def round_to_half(model):
    sd = model.state_dict()
    rounded = {k: (v.half().float() if v.is_floating_point() else v) for k, v in sd.items()}
    model.load_state_dict(rounded)


def write_fixture(name, model, card, input_shape, seed, half=False, drop_prefixes=()):
    torch.manual_seed(seed)
    with torch.no_grad():
        randomize_batchnorm(model, seed)
        if half:
            round_to_half(model)
    model.eval()
    sd = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    # smp keeps encoder stages beyond encoder_depth in its state_dict although it never runs them;
    # GeoLens ignores those keys, and the fixtures leave them out to stay small.
    saved = {k: (v.half() if half and v.is_floating_point() else v) for k, v in sd.items()
             if not k.startswith(tuple(drop_prefixes))}
    os.makedirs(OUT, exist_ok=True)
    torch.save(saved, os.path.join(OUT, name + ".pth"))
    save_file(saved, os.path.join(OUT, name + ".safetensors"), metadata={"generator": "scripts/reference/models.py"})
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(card, f, indent=2)
    g = torch.Generator().manual_seed(seed + 100)
    x = torch.randn(*input_shape, generator=g)
    with torch.no_grad():
        y = model(x)
    with open(os.path.join(OUT, name + ".logits.json"), "w") as f:
        json.dump({"input": tensor_json(x), "output": tensor_json(y)}, f, separators=(",", ":"))
    size = sum(os.path.getsize(os.path.join(OUT, name + e)) for e in (".pth", ".safetensors"))
    print(f"{name}: {sum(v.numel() for v in saved.values())} values, {size} bytes of checkpoints", file=sys.stderr)


def smp_unet(encoder, in_channels, classes, depth, decoder_channels):
    import segmentation_models_pytorch as smp
    return smp.Unet(encoder, encoder_weights=None, in_channels=in_channels, classes=classes,
                    encoder_depth=depth, decoder_channels=decoder_channels)


def main():
    torch.manual_seed(0)
    write_fixture("unet_in4_c2", UNet(4, 2, base=8, depth=3),
                  {"architecture": "unet", "in_channels": 4, "classes": ["clear", "cloud"],
                   "architecture_options": {"base_channels": 8, "depth": 3}}, (2, 4, 24, 24), seed=1)
    torch.manual_seed(1)
    write_fixture("unet_in13_c5_bilinear", UNet(13, 5, base=8, depth=2, bilinear=True),
                  {"architecture": "unet", "in_channels": 13, "classes": [f"c{i}" for i in range(5)],
                   "architecture_options": {"base_channels": 8, "depth": 2, "bilinear": True}}, (1, 13, 20, 20), seed=2)
    torch.manual_seed(2)
    write_fixture("smp_unet_resnet34_in4_c2", smp_unet("resnet34", 4, 2, 3, (32, 16, 8)),
                  {"architecture": "smp-unet-resnet34", "in_channels": 4, "classes": ["clear", "cloud"],
                   "architecture_options": {"encoder_depth": 3, "decoder_channels": [32, 16, 8]}},
                  (1, 4, 32, 32), seed=3, half=True, drop_prefixes=("encoder.layer3.", "encoder.layer4."))
    torch.manual_seed(3)
    write_fixture("smp_unet_resnet34_in13_c5", smp_unet("resnet34", 13, 5, 2, (16, 8)),
                  {"architecture": "smp-unet-resnet34", "in_channels": 13, "classes": [f"c{i}" for i in range(5)],
                   "architecture_options": {"encoder_depth": 2, "decoder_channels": [16, 8]}},
                  (2, 13, 16, 16), seed=4, half=True,
                  drop_prefixes=("encoder.layer2.", "encoder.layer3.", "encoder.layer4."))
    keys = {}
    for encoder in ("resnet18", "resnet34", "resnet50"):
        m = smp_unet(encoder, 6, 3, 5, (256, 128, 64, 32, 16))
        keys[f"smp-unet-{encoder}"] = [[k, list(v.shape)] for k, v in m.state_dict().items()]
    keys["unet"] = [[k, list(v.shape)] for k, v in UNet(6, 3).state_dict().items()]
    keys["unet-bilinear"] = [[k, list(v.shape)] for k, v in UNet(6, 3, bilinear=True).state_dict().items()]
    with open(os.path.join(OUT, "keys.json"), "w") as f:
        json.dump(keys, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
