"""Timing baseline for `geolens explain` (not a fixture generator).

Writes a full-size smp Unet(resnet34) (6 bands, 3 classes, random weights) and a 256x256 6-band
GeoTIFF-free input to OUT (default /tmp/geolens-explain-bench), then times on CPU:
  gradcam++   pytorch-grad-cam GradCAMPlusPlus on encoder.layer4 (SemanticSegmentationTarget, argmax mask)
  shap-exact  captum ShapleyValues with a 6-group band feature_mask (2^6 coalitions)
  shap-brute  brute-force exact Shapley in PyTorch (wall and process CPU seconds): the 2^6 band coalitions composed and run in
              batches (--batch) under inference_mode, every class from the same forward passes;
              writes the values to OUT/shap_brute.json (compare with geolens's attributions.json)
and prints seconds per tile. Run with the same thread count as geolens:
  /work/venv/bin/python scripts/reference/explain_benchmark.py --threads 2
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
from safetensors.torch import save_file


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="/tmp/geolens-explain-bench")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8, help="coalitions per forward pass (shap-brute)")
    parser.add_argument("--only", choices=["gradcam", "shap", "shap-brute"], default=None,
                        help="time one method (captum's ShapleyValues alone takes tens of minutes)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import segmentation_models_pytorch as smp
    from captum.attr import ShapleyValues
    from pytorch_grad_cam import GradCAMPlusPlus
    from pytorch_grad_cam.utils.model_targets import SemanticSegmentationTarget

    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    model = smp.Unet("resnet34", encoder_weights=None, in_channels=6, classes=3).eval()
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(args.out, "unet_r34.safetensors"))
    with open(os.path.join(args.out, "unet_r34.safetensors.json"), "w") as f:
        json.dump({"architecture": "smp-unet-resnet34", "in_channels": 6, "classes": ["clear", "cloud", "shadow"]}, f)
    x = torch.randn(1, 6, 256, 256, generator=torch.Generator().manual_seed(1))
    # The same input as a Float32 GeoTIFF for geolens (ENVI raw + header, then gdal_translate).
    raw = os.path.join(args.out, "input.bsq")
    x[0].numpy().astype("<f4").tofile(raw)
    with open(os.path.join(args.out, "input.hdr"), "w") as f:
        f.write("ENVI\nsamples = 256\nlines = 256\nbands = 6\nheader offset = 0\nfile type = ENVI Standard\n"
                "data type = 4\ninterleave = bsq\nbyte order = 0\n")
    import subprocess
    subprocess.run(["gdal_translate", "-q", "-of", "GTiff", raw, os.path.join(args.out, "tile256.tif")], check=True)
    with torch.no_grad():
        pred = model(x).argmax(1)[0]
    c = int(pred.flatten().mode().values)
    mask = (pred == c).float()

    def best(fn):
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    def gradcam():
        with GradCAMPlusPlus(model=model, target_layers=[model.encoder.layer4]) as cam:
            cam(input_tensor=x, targets=[SemanticSegmentationTarget(c, mask.numpy())])

    baseline = x.mean(dim=(2, 3), keepdim=True).expand_as(x).contiguous()
    feature_mask = torch.arange(6).view(1, 6, 1, 1).expand_as(x).contiguous()

    def shap():
        sv = ShapleyValues(lambda inp: (model(inp)[:, c] * mask).sum(dim=(1, 2)))
        with torch.no_grad():
            sv.attribute(x, baselines=baseline, feature_mask=feature_mask, perturbations_per_eval=8)

    def shap_brute():
        # v(S) for every coalition S of the 6 bands (bit i set: band i from x, else from the baseline),
        # for every class c' on the arg-max mask of c', then the exact Shapley formula.
        m = 6
        masks = [(pred == k).float() for k in range(3)]
        values = torch.zeros(1 << m, 3, dtype=torch.float64)
        with torch.inference_mode():
            for start in range(0, 1 << m, args.batch):
                bits = torch.arange(start, min(start + args.batch, 1 << m))
                keep = ((bits.view(-1, 1) >> torch.arange(m).view(1, -1)) & 1).float().view(-1, m, 1, 1)
                batch = keep * x + (1 - keep) * baseline
                logits = model(batch)
                for k in range(3):
                    values[bits, k] = (logits[:, k] * masks[k]).sum(dim=(1, 2)).double()
        fact = [math.factorial(i) for i in range(m + 1)]
        phi = torch.zeros(3, m, dtype=torch.float64)
        for s in range(1 << m):
            size = bin(s).count("1")
            for i in range(m):
                if not s & (1 << i):
                    phi[:, i] += fact[size] * fact[m - size - 1] / fact[m] * (values[s | (1 << i)] - values[s])
        return values, phi

    print(f"class {c}, threads {args.threads}")
    if args.only in (None, "gradcam"):
        print(f"pytorch-grad-cam gradcam++ encoder.layer4: {best(gradcam):.3f} s/tile", flush=True)
    if args.only in (None, "shap"):
        t = time.perf_counter()
        shap()  # all 6! orderings: run once
        print(f"captum ShapleyValues 6 band groups: {time.perf_counter() - t:.3f} s/tile", flush=True)
    if args.only == "shap-brute":
        times, cpu = [], []
        for _ in range(args.repeats):
            t, c = time.perf_counter(), time.process_time()
            values, phi = shap_brute()
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        with open(os.path.join(args.out, "shap_brute.json"), "w") as f:
            json.dump({"classes": [{"class": k, "values": phi[k].tolist(), "base": values[0, k].item(),
                                    "full": values[-1, k].item(), "pixels": int((pred == k).sum())}
                                   for k in range(3)]}, f, indent=1)
        print(f"PyTorch brute-force exact Shapley, 6 band groups, 64 coalitions, all classes, batch {args.batch}: "
              f"{min(times):.3f} s/tile, cpu {min(cpu):.3f} s (best of {args.repeats})", flush=True)


if __name__ == "__main__":
    main()
