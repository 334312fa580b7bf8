"""The Python baseline of `geolens eval`: onnxruntime inference + torchmetrics on the same tiles.

Exports the fixture checkpoint to ONNX, then reads every tile with rasterio, applies the model
card's scaling and normalization, runs onnxruntime (intra_op_num_threads = --threads) and
accumulates torchmetrics' multiclass Jaccard index, accuracy, confusion matrix and calibration
error (ignore_index 255). Prints tiles/s, to compare with the `eval` summary line of GeoLens:

  python scripts/bench/make_eval_tiles.py /tmp/evalbench
  python scripts/bench/eval_python.py /tmp/evalbench --threads 2
  .build/release/geolens eval --model fixtures/models/cloud_unet_a.safetensors \
      --images /tmp/evalbench/images --labels /tmp/evalbench/labels --out /tmp/evalbench/out --threads 2

With --onnx M.onnx the given export and its card (M.onnx.json) are used instead of the fixture
checkpoint (the peak-memory comparison of docs/benchmarks.md runs the full EfficientNet-B4 U-Net so).
"""
import argparse
import glob
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort
import rasterio
import torch
import torchmetrics.classification as tmc
from safetensors.torch import load_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "reference"))
from models import UNet  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("tiles")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--checkpoint", default=os.path.join(ROOT, "fixtures/models/cloud_unet_a"))
    parser.add_argument("--onnx", default=None, help="an ONNX export with its card beside it (M.onnx.json)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.onnx:
        onnx_path = args.onnx
        card = json.load(open(args.onnx + ".json"))
    else:
        card = json.load(open(args.checkpoint + ".json"))
        opts = card["architecture_options"]
        model = UNet(card["in_channels"], len(card["classes"]), base=opts["base_channels"], depth=opts["depth"])
        model.load_state_dict(load_file(args.checkpoint + ".safetensors"))
        model.eval()
        onnx_path = os.path.join(args.tiles, "model.onnx")
        torch.onnx.export(model, torch.zeros(1, card["in_channels"], 256, 256), onnx_path, opset_version=17,
                          input_names=["x"], output_names=["logits"], dynamic_axes={"x": {0: "n"}, "logits": {0: "n"}},
                          dynamo=False)
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    session = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    classes = len(card["classes"])
    metrics = [tmc.MulticlassJaccardIndex(classes, ignore_index=255, average="none"),
               tmc.MulticlassAccuracy(classes, ignore_index=255, average="micro"),
               tmc.MulticlassConfusionMatrix(classes, ignore_index=255),
               tmc.MulticlassCalibrationError(classes, n_bins=15, ignore_index=255)]
    mean = np.array(card["mean"], np.float32)[:, None, None]
    std = np.array(card["std"], np.float32)[:, None, None]
    paths = sorted(glob.glob(os.path.join(args.tiles, "images", "*.tif")))
    start = time.perf_counter()
    for i in range(0, len(paths), args.batch):
        xs, ys = [], []
        for p in paths[i:i + args.batch]:
            with rasterio.open(p) as src:
                img = src.read().astype(np.float32)
                valid = src.dataset_mask() > 0
            with rasterio.open(p.replace("/images/", "/labels/")) as src:
                lab = src.read(1).astype(np.int64)
            lab[~valid] = 255
            xs.append((img * card["input_scale"] + card["input_offset"] - mean) / std)
            ys.append(lab)
        logits = session.run(None, {session.get_inputs()[0].name: np.stack(xs)})[0]
        probs = torch.from_numpy(logits).softmax(1)
        target = torch.from_numpy(np.stack(ys))
        for m in metrics:
            m.update(probs, target)
    results = [m.compute() for m in metrics]
    elapsed = time.perf_counter() - start
    print(f"python onnxruntime+torchmetrics: {len(paths)} tiles in {elapsed:.2f} s = {len(paths) / elapsed:.2f} tiles/s "
          f"(mIoU {results[0].mean():.4f}, accuracy {results[1]:.4f})")


if __name__ == "__main__":
    main()
