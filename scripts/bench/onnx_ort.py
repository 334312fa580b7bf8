"""onnxruntime side of `geolens-bench onnx`: the same model file, input shape, thread count and
statistics (median and minimum of timed runs after warm-up), printed as one tab-separated line.

Usage: /work/venv/bin/python scripts/bench/onnx_ort.py MODEL.onnx [--batch 4] [--size 256] [--threads 2]
       [--repeats 7] [--warmup 2]
The input is standard normal noise (values do not change the work of these graphs).
The line also gives the median process CPU time per run (both threads). onnxruntime's workers
spin while they wait, which counts as CPU time; `--no-spin` turns spinning off so CPU times compare
work done, which stays meaningful when other processes load the machine (wall times do not).
"""

import argparse
import os
import time

import numpy as np
import onnxruntime as ort


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--no-spin", action="store_true", help="session.intra_op.allow_spinning = 0")
    args = parser.parse_args()
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    if args.no_spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    info = session.get_inputs()[0]
    channels = info.shape[1]
    x = np.random.default_rng(42).standard_normal((args.batch, channels, args.size, args.size)).astype(np.float32)
    for _ in range(args.warmup):
        session.run(None, {info.name: x})
    samples, cpu = [], []
    for _ in range(args.repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        session.run(None, {info.name: x})
        samples.append((time.perf_counter() - start) * 1e3)
        cpu.append((time.process_time() - start_cpu) * 1e3)
    print(f"# onnxruntime {ort.__version__}, threads {args.threads}")
    print(f"{os.path.basename(args.model)}\t{args.batch}x{channels}x{args.size}x{args.size}\t"
          f"{np.median(samples):.3f}\t{min(samples):.3f}\tcpu {np.median(cpu):.3f}")


if __name__ == "__main__":
    main()
