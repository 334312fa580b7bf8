"""One optimizer step in PyTorch, for GeoLens's one-step parity tests.

From the same initial weights (a tiny classic U-Net, base 4, depth 2, 6 bands, 3 classes) and
the same batch (2 x 6 x 16 x 16, labels with ignore_index 255 pixels), takes:
  - one SGD step (lr 0.1, momentum 0.9, Nesterov, weight decay 1e-4) on plain cross-entropy;
  - one AdamW step (lr 0.01, betas 0.9/0.999, eps 1e-8, weight decay 0.05 on conv weights only,
    none on biases and batch-norm parameters) on cross-entropy with class weights and label
    smoothing 0.1.
Batch norm runs in training mode (batch statistics), as in a training step.

Writes fixtures/reference/train/one_step.safetensors with tensors:
  input, labels (float class ids), init.<name>, sgd.<name>, adamw.<name>,
  loss.sgd, loss.adamw (scalars as shape [1]), class_weights.
Run: python scripts/reference/train_one_step.py
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT  # noqa: E402
from models import UNet  # noqa: E402

OUT = os.path.join(ROOT, "fixtures", "reference", "train", "one_step.safetensors")
CLASS_WEIGHTS = torch.tensor([0.5, 2.0, 1.0])


def batch():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 6, 16, 16, generator=g)
    labels = torch.randint(0, 3, (2, 16, 16), generator=g)
    labels[0, :3, :] = 255
    labels[1, 5, 5:9] = 255
    return x, labels


def step(model, optimizer, x, labels, loss_fn):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(x), labels)
    loss.backward()
    optimizer.step()
    return loss.detach().reshape(1)


def main():
    torch.manual_seed(0)
    init = UNet(6, 3, base=4, depth=2)
    x, labels = batch()
    tensors = {"input": x, "labels": labels.float(), "class_weights": CLASS_WEIGHTS}
    for k, v in init.state_dict().items():
        if v.is_floating_point():
            tensors["init." + k] = v.clone()

    sgd_model = UNet(6, 3, base=4, depth=2)
    sgd_model.load_state_dict(init.state_dict())
    sgd = torch.optim.SGD(sgd_model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    tensors["loss.sgd"] = step(sgd_model, sgd, x, labels, lambda y, t: F.cross_entropy(y, t, ignore_index=255))
    for k, p in sgd_model.named_parameters():
        tensors["sgd." + k] = p.detach().clone()

    adam_model = UNet(6, 3, base=4, depth=2)
    adam_model.load_state_dict(init.state_dict())
    decay, no_decay = [], []
    for name, p in adam_model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    adamw = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                              lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    tensors["loss.adamw"] = step(adam_model, adamw, x, labels, lambda y, t: F.cross_entropy(
        y, t, weight=CLASS_WEIGHTS, ignore_index=255, label_smoothing=0.1))
    for k, p in adam_model.named_parameters():
        tensors["adamw." + k] = p.detach().clone()

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, OUT)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes), losses {tensors['loss.sgd'].item():.6f} "
          f"{tensors['loss.adamw'].item():.6f}", file=sys.stderr)


if __name__ == "__main__":
    main()
