"""PyTorch counterpart of `geolens-bench conv`: the same shapes, threads and statistic.

Prints one tab-separated line per case: name, median milliseconds per call, GFLOP/s.
Run: python scripts/bench/conv_torch.py [--threads 2] [--repeats 10] [--filter SUBSTRING]
"""
import argparse
import time

import torch
import torch.nn.functional as F

# name, kind, input, weight, stride, padding, groups  (same list as Benchmarks/geolens-bench/ConvBenchmarks.swift)
CASES = [
    ("conv3x3_64to64_64px_b8", "forward", (8, 64, 64, 64), (64, 64, 3, 3), 1, 1, 1),
    ("conv3x3s2_64to128_64px_b8", "forward", (8, 64, 64, 64), (128, 64, 3, 3), 2, 1, 1),
    ("conv1x1_256to64_32px_b8", "forward", (8, 256, 32, 32), (64, 256, 1, 1), 1, 0, 1),
    ("conv1x1_24to144_128px_b1", "forward", (1, 24, 128, 128), (144, 24, 1, 1), 1, 0, 1),
    ("conv1x1_192to32_64px_b1", "forward", (1, 192, 64, 64), (32, 192, 1, 1), 1, 0, 1),
    ("depthwise3x3_144_64px_b8", "forward", (8, 144, 64, 64), (144, 1, 3, 3), 1, 1, 144),
    ("depthwise5x5_240_32px_b8", "forward", (8, 240, 32, 32), (240, 1, 5, 5), 1, 2, 240),
    ("convT2x2s2_128to64_32px_b8", "transposed", (8, 128, 32, 32), (128, 64, 2, 2), 2, 0, 1),
    ("backward_conv3x3_64to64_64px_b8", "backward", (8, 64, 64, 64), (64, 64, 3, 3), 1, 1, 1),
    ("backward_input_conv3x3_64to64_64px_b8", "backward_input", (8, 64, 64, 64), (64, 64, 3, 3), 1, 1, 1),
    ("backward_weight_conv3x3_64to64_64px_b8", "backward_weight", (8, 64, 64, 64), (64, 64, 3, 3), 1, 1, 1),
]


def median_ms(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
    samples.sort()
    mid = len(samples) // 2
    return samples[mid] if len(samples) % 2 else (samples[mid - 1] + samples[mid]) / 2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--filter", default="")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# torch {torch.__version__} conv, threads {torch.get_num_threads()}")
    for name, kind, xs, ws, stride, pad, groups in CASES:
        if args.filter not in name:
            continue
        x = torch.randn(xs)
        w = torch.randn(ws) * 0.05
        b = torch.randn(ws[1] * groups if kind == "transposed" else ws[0])
        n, kh, kw = xs[0], ws[2], ws[3]
        if kind == "transposed":
            macs = n * xs[1] * xs[2] * xs[3] * ws[1] * kh * kw
            with torch.no_grad():
                ms = median_ms(lambda: F.conv_transpose2d(x, w, b, stride=stride, padding=pad, groups=groups), 2,
                               args.repeats)
        elif kind == "forward":
            oh, ow = (xs[2] + 2 * pad - kh) // stride + 1, (xs[3] + 2 * pad - kw) // stride + 1
            macs = n * ws[0] * oh * ow * ws[1] * kh * kw
            with torch.no_grad():
                ms = median_ms(lambda: F.conv2d(x, w, b, stride=stride, padding=pad, groups=groups), 2, args.repeats)
        else:
            oh, ow = (xs[2] + 2 * pad - kh) // stride + 1, (xs[3] + 2 * pad - kw) // stride + 1
            macs = (2 if kind == "backward" else 1) * n * ws[0] * oh * ow * ws[1] * kh * kw
            xg = x.clone().requires_grad_(kind != "backward_weight")
            wg = w.clone().requires_grad_(kind != "backward_input")
            y = F.conv2d(xg, wg, b, stride=stride, padding=pad, groups=groups)
            seed = torch.randn(y.shape)
            wrt = [t for t in (xg, wg) if t.requires_grad]
            ms = median_ms(lambda: torch.autograd.grad(y, wrt, seed, retain_graph=True), 2, args.repeats)
        print(f"{name}\t{ms:.3f}\t{2 * macs / ms / 1e6:.3f}")


if __name__ == "__main__":
    main()
