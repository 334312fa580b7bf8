"""scikit-image SLIC on fixture tiles, for comparison with GeoLens's SLIC superpixels.

Writes fixtures/reference/explain/superpixels.json: per case the segmented channels of the
normalized model input of a fixture tile (cloud_unet_a's card: input_scale, then mean/std), the
validity mask (nodata 0 in any band is invalid), and the labels of skimage.segmentation.slic with
settings matched to GeoLens's (10 iterations, no smoothing, no Lab conversion, components under
a quarter of the expected size merged, the same compactness once the two band scalings are
accounted for). The algorithms differ in details (skimage seeds without the gradient step and
merges orphans differently), so the Swift test reports the adjusted Rand index between the two
label maps rather than asking for equal labels.

GeoLens measures band distances in hundredths of the pooled 1st-99th percentile range of the
segmented bands; skimage rescales the pooled min-max range to [0, 1]. A compactness m in GeoLens
therefore equals m * (p99 - p1) / (100 * (max - min)) in skimage.

Run: /work/venv/bin/python scripts/reference/explain_superpixels.py   (needs scikit-image, tifffile)
"""
import json
import os
import sys

import numpy as np
import skimage
import tifffile
from skimage.segmentation import slic

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "fixtures", "reference", "explain", "superpixels.json")
CARD = os.path.join(ROOT, "fixtures", "models", "cloud_unet_a.json")

SEGMENTS = 24
COMPACTNESS = 10.0


def normalized_tile(name):
    """The tile as the model sees it ([C, H, W], float32, 6 significant digits) and its validity."""
    with open(CARD) as f:
        card = json.load(f)
    raw = tifffile.imread(os.path.join(ROOT, "fixtures", "tiles", "images", name)).astype(np.float64)  # H, W, C
    valid = ~(raw == 0).any(axis=2)
    x = raw * card["input_scale"] + card["input_offset"]
    x = (x - np.array(card["mean"])) / np.array(card["std"])
    x = np.array([float(f"{v:.6g}") for v in x.transpose(2, 0, 1).reshape(-1)], dtype=np.float32)
    return x.reshape(raw.shape[2], raw.shape[0], raw.shape[1]), valid


def case(name, tile, channels):
    x, valid = normalized_tile(tile)
    features = x[channels].transpose(1, 2, 0).astype(np.float64)  # H, W, F
    pooled = np.sort(features[valid].reshape(-1))
    p1 = pooled[int((pooled.size - 1) * 0.01)]
    p99 = pooled[int((pooled.size - 1) * 0.99)]
    span = pooled[-1] - pooled[0]
    compactness = COMPACTNESS * (p99 - p1) / (100.0 * span)
    labels = slic(features, n_segments=SEGMENTS, compactness=compactness, max_num_iter=10, sigma=0,
                  channel_axis=-1, convert2lab=False, enforce_connectivity=True, min_size_factor=0.25,
                  max_size_factor=1000, start_label=1, mask=None if valid.all() else valid)
    labels = np.where(valid, labels, 0)
    print(f"{name}: skimage gives {len(np.unique(labels[valid]))} segments (target {SEGMENTS})", file=sys.stderr)
    return {"name": name, "tile": tile, "channels": channels, "segments": SEGMENTS, "compactness": COMPACTNESS,
            "skimage_compactness": compactness,
            "input": {"shape": [len(channels)] + list(x.shape[1:]), "data": [float(v) for v in x[channels].reshape(-1)]},
            "validity": [int(v) for v in valid.reshape(-1)],
            "skimage_labels": [int(v) for v in labels.reshape(-1)]}


def main():
    cases = [
        case("all-bands-valid-tile", "tile_r0_c1.tif", [0, 1, 2, 3, 4, 5]),
        case("composite-bands-with-nodata", "tile_r1_c0.tif", [2, 1, 0]),
    ]
    doc = {"generator": "scripts/reference/explain_superpixels.py", "skimage": skimage.__version__, "cases": cases}
    tmp = OUT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    os.replace(tmp, OUT)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
