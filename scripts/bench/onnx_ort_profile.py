"""Per-operator time of an ONNX segmentation model in onnxruntime (B x C x 256 x 256).

usage: python scripts/bench/onnx_ort_profile.py MODEL.onnx [--threads T] [--batch B] [--runs R] [--no-spin] [--min]

Runs R inferences (default 6, after one warm-up) with onnxruntime's profiler on and prints the
mean milliseconds per run for each operator type (with --min, the sum of each node's fastest run); convolutions are keyed by kernel size,
depthwise or not, and input height (the keys of `geolens-bench onnx --profile` with detail).
Defaults: 1 thread, batch 1. With T > 1 each operator's time is its wall time with the threads
inside it, as GeoLens's per-step profile at batch 1.
"""
import argparse, collections, json, os

import numpy as np
import onnxruntime as ort

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("--threads", type=int, default=1)
p.add_argument("--batch", type=int, default=1)
p.add_argument("--runs", type=int, default=6)
p.add_argument("--no-spin", action="store_true")
p.add_argument("--min", action="store_true", help="each node's fastest run instead of its mean (robust to a loaded machine)")
args = p.parse_args()
so = ort.SessionOptions()
so.intra_op_num_threads = args.threads
so.enable_profiling = True
so.profile_file_prefix = "/tmp/ortprof"
if args.no_spin:
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
s = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
name = s.get_inputs()[0].name
bands = s.get_inputs()[0].shape[1]
x = np.random.default_rng(0).standard_normal((args.batch, bands, 256, 256)).astype(np.float32)
s.run(None, {name: x})
for _ in range(args.runs):
    s.run(None, {name: x})
f = s.end_profiling()
ev = json.load(open(f))
tab = collections.defaultdict(float)
cnt = collections.Counter()
nodes = collections.defaultdict(list)
# The first run is the warm-up: skip the events of the first model_run.
runs = [e for e in ev if e.get("name") == "model_run"]
start = runs[0]["ts"] + runs[0]["dur"] if len(runs) > args.runs else 0
for e in ev:
    if e.get("cat") == "Node" and e["name"].endswith("_kernel_time") and e["ts"] >= start:
        a = e["args"]
        op = a.get("op_name")
        shp = a.get("input_type_shape", [{}])
        key = op
        try:
            xs = list(shp[0].values())[0]
            if op in ("Conv", "FusedConv"):
                ws = list(shp[1].values())[0]
                key = f"Conv {ws[2]}x{ws[3]} {'dw' if ws[1] == 1 and ws[0] > 1 else 'g1'} hw{xs[2]}"
        except Exception:
            pass
        nodes[(key, e["name"])].append(e["dur"] / 1000)
for (key, _), times in nodes.items():
    tab[key] += min(times) if args.min else sum(times) / args.runs
    cnt[key] += len(times)
for k, v in sorted(tab.items(), key=lambda t: -t[1]):
    print(f"{v:8.2f} {cnt[k] // args.runs:4d} {k}")
print("total", round(sum(tab.values()), 2))
os.remove(f)
