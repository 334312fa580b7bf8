"""Shared helpers for the reference-value generators.

Every generator writes one JSON file under fixtures/reference/ with this shape:

    {"generator": "scripts/reference/<script>.py", "torch": "<version>",
     "cases": [{"name", "op", "attrs", "inputs", "output", "upstream", "grads"}]}

`inputs`, `output`, `upstream` and each entry of `grads` are {"shape": [...], "data": [...]}.
`grads[i]` is d sum(output * upstream) / d inputs[i] (null for non-differentiable inputs).
Values are float32 numbers written with full precision. The Swift tests read these files
(Tests/*/Support/ReferenceFixtures.swift); CI never needs Python.
"""
import json
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tensor_json(t):
    t = t.detach().to(torch.float32).contiguous()
    # 9 significant digits round-trip float32 exactly.
    return {"shape": list(t.shape), "data": [float(f"{v:.9g}") for v in t.reshape(-1).tolist()]}


def make_case(name, op, fn, inputs, attrs=None, differentiable=None, seed=0):
    """Evaluates fn(*inputs) in PyTorch and records the output and input gradients."""
    torch.manual_seed(seed)
    if differentiable is None:
        differentiable = [True] * len(inputs)
    xs = [x.detach().clone().requires_grad_(d) for x, d in zip(inputs, differentiable)]
    y = fn(*xs)
    case = {"name": name, "op": op, "attrs": attrs or {},
            "inputs": [tensor_json(x) for x in xs], "output": tensor_json(y)}
    if y.requires_grad:
        gen = torch.Generator().manual_seed(seed + 1)
        up = torch.randn(y.shape, generator=gen)
        (y * up).sum().backward()
        case["upstream"] = tensor_json(up)
        case["grads"] = [tensor_json(x.grad) if d and x.grad is not None else
                         (tensor_json(torch.zeros_like(x)) if d else None)
                         for x, d in zip(xs, differentiable)]
    return case


def write_cases(relative_path, script, cases):
    path = os.path.join(ROOT, relative_path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    doc = {"generator": "scripts/reference/" + os.path.basename(script), "torch": torch.__version__,
           "cases": cases}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    os.replace(tmp, path)
    print(f"wrote {len(cases)} cases to {relative_path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


def randn(*shape, seed=0, away_from_zero=0.0):
    g = torch.Generator().manual_seed(seed)
    t = torch.randn(*shape, generator=g)
    if away_from_zero > 0:
        t = t + away_from_zero * torch.sign(t)
    return t
