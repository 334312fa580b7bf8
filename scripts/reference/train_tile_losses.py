"""Reference values of the tile-task training losses (fixtures/reference/train/tile_losses.json).

For `[N, K]` logits of a tile classifier: `cross_entropy` (F.cross_entropy), softmax `focal` with
the dynamic per-batch alpha (alpha_c = inverse frequency of class c among the batch's labels,
normalized to mean 1 over the classes present; absent classes 0), and for multi-label targets
`bce` (F.binary_cross_entropy_with_logits, mean over N x K) and the sigmoid focal loss of
torchvision.ops.sigmoid_focal_loss with a per-label alpha: the dynamic alpha of label c is the
fraction of the batch's tiles without it (its inverse positive frequency normalized against the
negatives' inverse frequency), 0.5 when the batch has no positive or no negative for it.
Each case holds the loss and its gradient with respect to the logits (autograd).

Run: /work/venv-classify/bin/python scripts/reference/train_tile_losses.py
"""
import json
import os

import torch
import torch.nn.functional as F
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "fixtures", "reference", "train", "tile_losses.json")


def values(t):
    return [float(f"{v:.9g}") for v in t.detach().reshape(-1).tolist()]


def softmax_dynamic_alpha(labels, k):
    counts = torch.bincount(labels, minlength=k).double()
    total = counts.sum()
    raw = torch.where(counts > 0, total / counts.clamp(min=1), torch.zeros_like(counts))
    mean = raw.sum() / (counts > 0).sum()
    return (raw / mean).float()


def sigmoid_dynamic_alpha(targets):
    n = targets.shape[0]
    positives = targets.sum(0)
    alpha = 1 - positives / n
    both = (positives > 0) & (positives < n)
    return torch.where(both, alpha, torch.full_like(alpha, 0.5))


def softmax_focal(logits, labels, alpha, gamma):
    logp = F.log_softmax(logits, dim=1).gather(1, labels[:, None])[:, 0]
    pt = logp.exp()
    return (-alpha[labels] * (1 - pt) ** gamma * logp).mean()


def sigmoid_focal(logits, targets, alpha, gamma):
    # torchvision.ops.sigmoid_focal_loss, with alpha per label (its formula, broadcast over labels).
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return (alpha_t * loss).mean()


def case(name, loss_name, logits, target, gamma, fn, alpha=None):
    z = logits.clone().requires_grad_(True)
    loss = fn(z)
    loss.backward()
    entry = {"name": name, "loss": loss_name, "gamma": gamma, "logits": {"shape": list(logits.shape), "data": values(logits)},
             "labels": [int(v) for v in target.reshape(-1).tolist()], "value": float(f"{loss.item():.9g}"),
             "gradient": values(z.grad)}
    if alpha is not None:
        entry["alpha"] = values(alpha)
    return entry


def main():
    g = torch.Generator().manual_seed(17)
    cases = []
    logits = torch.randn(8, 4, generator=g) * 2
    labels = torch.tensor([0, 1, 1, 1, 3, 3, 0, 1])
    cases.append(case("ce", "cross_entropy", logits, labels, 0, lambda z: F.cross_entropy(z, labels)))
    alpha = softmax_dynamic_alpha(labels, 4)
    for gamma in (2.0, 0.5):
        cases.append(case(f"focal_gamma{gamma}", "focal", logits, labels, gamma,
                          lambda z: softmax_focal(z, labels, alpha, gamma), alpha))
    ml_logits = torch.randn(6, 5, generator=g) * 2
    targets = torch.tensor([[1, 0, 0, 1, 0], [1, 1, 0, 0, 0], [0, 0, 0, 1, 0],
                            [1, 0, 0, 1, 1], [0, 1, 0, 0, 0], [1, 0, 0, 1, 0]], dtype=torch.float32)
    cases.append(case("bce", "bce", ml_logits, targets, 0,
                      lambda z: F.binary_cross_entropy_with_logits(z, targets)))
    ml_alpha = sigmoid_dynamic_alpha(targets)
    for gamma in (2.0, 0.0):
        cases.append(case(f"sigmoid_focal_gamma{gamma}", "focal", ml_logits, targets, gamma,
                          lambda z: sigmoid_focal(z, targets, ml_alpha, gamma), ml_alpha))
    # torchvision's own function with a scalar alpha agrees with the formula above.
    check = torchvision.ops.sigmoid_focal_loss(ml_logits, targets, alpha=0.25, gamma=2.0, reduction="mean")
    assert torch.allclose(check, sigmoid_focal(ml_logits, targets, torch.full((5,), 0.25), 2.0))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"generator": "scripts/reference/train_tile_losses.py", "torch": torch.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    for c in cases:
        print(c["name"], c["value"], c.get("alpha"))


if __name__ == "__main__":
    main()
