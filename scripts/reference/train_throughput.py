"""Training throughput of the classic U-Net in PyTorch on CPU, to compare with `geolens train`.

Same model (milesial U-Net, 6 bands, 3 classes, base/depth as given), same batch, same tile
size, AdamW + cross-entropy, training-mode batch norm, torch.set_num_threads(threads).
Prints tiles per second over `steps` timed updates after `warmup` untimed ones, and the process CPU
seconds they took (run with OMP_WAIT_POLICY=PASSIVE so OpenMP workers do not spin; CPU seconds then
compare the work done even when other processes load the machine). GeoLens side:
`geolens-bench train` with the same options.

Run: python scripts/reference/train_throughput.py --base 16 --depth 3 --batch 4 --size 64 --threads 2
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import UNet  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=int, default=16)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = UNet(6, 3, base=args.base, depth=args.depth).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    x = torch.randn(args.batch, 6, args.size, args.size)
    y = torch.randint(0, 3, (args.batch, args.size, args.size))
    for i in range(args.warmup + args.steps):
        if i == args.warmup:
            start, start_cpu = time.perf_counter(), time.process_time()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y, ignore_index=255)
        loss.backward()
        optimizer.step()
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    print(f"pytorch {torch.__version__} threads={args.threads} base={args.base} depth={args.depth} "
          f"batch={args.batch} size={args.size}: {args.steps * args.batch / seconds:.1f} tiles/s, "
          f"cpu {cpu:.3f} s for {args.steps} steps")


if __name__ == "__main__":
    main()
