"""Writes a larger labelled tile set for timing `geolens eval` (not committed).

The fixture scene is mirrored into a 4x-larger mosaic and cut into 256x256 tiles, repeated
with flips until --count tiles exist.  Usage: python scripts/bench/make_eval_tiles.py OUT_DIR [--count 48]
"""
import argparse
import os

import numpy as np
import rasterio
from rasterio.transform import from_origin

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=48)
    args = parser.parse_args()
    with rasterio.open(os.path.join(ROOT, "fixtures/scene/scene.tif")) as src:
        image = src.read()
    with rasterio.open(os.path.join(ROOT, "fixtures/scene/scene_labels.tif")) as src:
        labels = src.read(1)
    row = lambda a: np.concatenate([a, a[..., ::-1]], axis=-1)
    image = np.concatenate([row(image), row(image)[..., ::-1, :]], axis=-2)
    labels = np.concatenate([row(labels), row(labels)[::-1, :]], axis=-2)
    image, labels = np.tile(image, (1, 2, 2)), np.tile(labels, (2, 2))  # 768 x 1024
    os.makedirs(os.path.join(args.out, "images"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "labels"), exist_ok=True)
    n = 0
    while n < args.count:
        flip = n // 12
        for r in range(3):
            for c in range(4):
                if n >= args.count:
                    break
                img = image[:, r * 256:(r + 1) * 256, c * 256:(c + 1) * 256]
                lab = labels[r * 256:(r + 1) * 256, c * 256:(c + 1) * 256]
                if flip % 2:
                    img, lab = img[..., ::-1], lab[:, ::-1]
                if flip % 4 >= 2:
                    img, lab = img[:, ::-1], lab[::-1]
                t = from_origin(500000 + c * 2560, 5200000 - r * 2560, 10, 10)
                common = dict(driver="GTiff", width=256, height=256, crs="EPSG:32633", transform=t)
                with rasterio.open(os.path.join(args.out, "images", f"t{n:04d}.tif"), "w", count=6, dtype="uint16",
                                   nodata=0, **common) as dst:
                    dst.write(np.ascontiguousarray(img))
                with rasterio.open(os.path.join(args.out, "labels", f"t{n:04d}.tif"), "w", count=1, dtype="uint8",
                                   nodata=255, **common) as dst:
                    dst.write(np.ascontiguousarray(lab)[None])
                n += 1
    print(f"wrote {n} tiles of 256x256 to {args.out}")


if __name__ == "__main__":
    main()
