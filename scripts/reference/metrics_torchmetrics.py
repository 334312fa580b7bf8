"""Reference values for GeoLensEval, computed with torchmetrics 1.9.

Writes fixtures/reference/metrics/torchmetrics.json. Each case holds a small batch of model
outputs (logits or probabilities, float32), labels, an optional validity mask, tile ids and,
for some cases, MC-dropout passes, plus:

- "expected": float64 values. Confusion-matrix metrics come from torchmetrics' own reduce
  functions (_accuracy_reduce, _precision_recall_reduce, _fbeta_reduce, _cohen_kappa_reduce,
  _safe_divide/_adjust_weights_safe_divide for IoU) fed float64 stat scores from torchmetrics'
  MulticlassConfusionMatrix; ECE comes from torchmetrics' _ce_compute on float64 confidences.
  The public metric classes cast to float32, so they cannot be compared at 1e-12; the reduce
  functions keep float64. Entropy and mutual information (not in torchmetrics) are computed
  here in float64 with torch.special.entr. The Swift tests compare against these at 1e-12.
- "torchmetrics": the values of the public classes (MulticlassJaccardIndex none/macro/micro,
  MulticlassAccuracy micro, MulticlassPrecision/Recall/F1Score none/macro/micro,
  MulticlassCohenKappa, MulticlassCalibrationError n_bins=15 norm=l1), in float32. This script
  asserts they agree with "expected" to 2e-6, except the documented convention differences
  listed per case in "torchmetrics_differs"; the Swift tests check the same.

Where torchmetrics' convention differs from METRICS.md, "expected" follows METRICS.md:
- a per-class 0/0 (IoU, precision, recall, F1) is null; torchmetrics returns 0 (zero_division=0).
- with N = 0 (every pixel excluded) overall accuracy, macro means and kappa are null;
  torchmetrics returns 0 for the ratios (and NaN for kappa).
- an ignore_index inside 0..C-1: METRICS.md only removes the pixels labelled with it, so a class
  that is then still predicted counts as IoU 0 in miou; torchmetrics' JaccardIndex also drops
  that class from the macro average and its denominator from the micro IoU.
- labels outside 0..C-1, nodata pixels and non-finite outputs are excluded by GeoLens; for
  torchmetrics (which rejects such labels) those pixels are relabelled with the ignore index.
- a confidence that rounds to exactly 1.0 goes to bucketize(...) - 1 = 15, an extra slot past the
  15 bins; torchmetrics keeps that slot too (its bin tensors have n_bins + 1 entries), and so does
  GeoLens, so ECE agrees.

Run: /work/venv/bin/python scripts/reference/metrics_torchmetrics.py
"""
import json
import math
import os
import sys

import torch
import torchmetrics
from torchmetrics.classification import (MulticlassAccuracy, MulticlassCalibrationError, MulticlassCohenKappa,
                                         MulticlassConfusionMatrix, MulticlassF1Score, MulticlassJaccardIndex,
                                         MulticlassPrecision, MulticlassRecall)
from torchmetrics.functional.classification.accuracy import _accuracy_reduce
from torchmetrics.functional.classification.calibration_error import _ce_compute
from torchmetrics.functional.classification.cohen_kappa import _cohen_kappa_reduce
from torchmetrics.functional.classification.f_beta import _fbeta_reduce
from torchmetrics.functional.classification.precision_recall import _precision_recall_reduce
from torchmetrics.utilities.compute import _adjust_weights_safe_divide, _safe_divide

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT  # noqa: E402

SENTINEL = -100  # label given to torchmetrics for pixels GeoLens excludes (when no ignore index is set)
SCALARS = ["overall_accuracy", "miou", "miou_micro", "precision_macro", "recall_macro", "f1_macro",
           "f1_micro", "kappa", "ece"]


def f32(values):
    return [float(f"{v:.9g}") for v in values]


def none_if_nan(x):
    x = float(x)
    return None if math.isnan(x) else x


def confmat_metrics(cm):
    """METRICS.md metrics of an int64 confusion matrix, through torchmetrics' float64 reduce code."""
    m = cm.to(torch.float64)
    tp = torch.diag(m)
    fp = m.sum(0) - tp
    fn = m.sum(1) - tp
    tn = m.sum() - tp - fp - fn
    n = float(m.sum())
    present = (tp + fp + fn) > 0
    out = {}

    def per_class(score, denominator):
        return [None if float(d) == 0 else float(s) for s, d in zip(score, denominator)]

    iou = _safe_divide(tp, tp + fp + fn)
    out["iou"] = per_class(iou, tp + fp + fn)
    out["precision"] = per_class(_precision_recall_reduce("precision", tp, fp, tn, fn, "none"), tp + fp)
    out["recall"] = per_class(_precision_recall_reduce("recall", tp, fp, tn, fn, "none"), tp + fn)
    out["f1"] = per_class(_fbeta_reduce(tp, fp, tn, fn, 1.0, "none"), 2 * tp + fp + fn)
    if n == 0 or not bool(present.any()):
        for k in ["overall_accuracy", "miou", "miou_micro", "precision_macro", "recall_macro", "f1_macro",
                  "f1_micro", "kappa"]:
            out[k] = None
        return out
    out["overall_accuracy"] = float(_accuracy_reduce(tp, fp, tn, fn, "micro"))
    out["miou"] = float(_adjust_weights_safe_divide(iou, "macro", False, tp, fp, fn))
    out["miou_micro"] = float(_safe_divide(tp.sum(), (tp + fp + fn).sum()))
    out["precision_macro"] = float(_precision_recall_reduce("precision", tp, fp, tn, fn, "macro"))
    out["recall_macro"] = float(_precision_recall_reduce("recall", tp, fp, tn, fn, "macro"))
    out["f1_macro"] = float(_fbeta_reduce(tp, fp, tn, fn, 1.0, "macro"))
    out["f1_micro"] = float(_fbeta_reduce(tp, fp, tn, fn, 1.0, "micro"))
    out["kappa"] = none_if_nan(_cohen_kappa_reduce(m))
    return out


def probabilities(scores, kind):
    s = scores.to(torch.float64)
    return torch.softmax(s, dim=1) if kind == "logits" else s


def public_api(scores, tm_labels, c, tm_ignore):
    """The public torchmetrics classes on the float32 batch (their float32 results)."""
    def run(metric):
        metric.update(scores, tm_labels)
        return metric.compute()

    kw = dict(num_classes=c, ignore_index=tm_ignore)
    out = {
        "miou": float(run(MulticlassJaccardIndex(average="macro", **kw))),
        "miou_micro": float(run(MulticlassJaccardIndex(average="micro", **kw))),
        "overall_accuracy": float(run(MulticlassAccuracy(average="micro", **kw))),
        "precision_macro": float(run(MulticlassPrecision(average="macro", **kw))),
        "recall_macro": float(run(MulticlassRecall(average="macro", **kw))),
        "f1_macro": float(run(MulticlassF1Score(average="macro", **kw))),
        "f1_micro": float(run(MulticlassF1Score(average="micro", **kw))),
        "precision_micro": float(run(MulticlassPrecision(average="micro", **kw))),
        "recall_micro": float(run(MulticlassRecall(average="micro", **kw))),
        "kappa": none_if_nan(run(MulticlassCohenKappa(**kw))),
        "ece": float(run(MulticlassCalibrationError(n_bins=15, norm="l1", **kw))),
        "iou": run(MulticlassJaccardIndex(average="none", **kw)).tolist(),
        "precision": run(MulticlassPrecision(average="none", **kw)).tolist(),
        "recall": run(MulticlassRecall(average="none", **kw)).tolist(),
        "f1": run(MulticlassF1Score(average="none", **kw)).tolist(),
    }
    out["confusion"] = run(MulticlassConfusionMatrix(**kw)).tolist()
    return out


def entropy_of(p):
    return torch.special.entr(p).sum(1)


def evaluate(case, scores, labels, valid, nonfinite, tiles, mc):
    """Fills case["expected"], case["torchmetrics"] and case["torchmetrics_differs"]."""
    n_img, c, h, w = scores.shape
    ignore = case["ignore_index"]
    s = scores.clone()
    flat = s.view(-1)
    flat[nonfinite] = float("nan")
    finite = torch.isfinite(s).all(dim=1).reshape(-1)
    lab = labels.reshape(-1)
    kept = valid.reshape(-1) & finite & (lab >= 0) & (lab < c)
    if ignore is not None:
        kept &= lab != ignore
    tm_ignore = ignore if ignore is not None else SENTINEL
    tm_labels = torch.where(kept, lab, torch.full_like(lab, tm_ignore)).reshape(n_img, h, w)
    tm_scores = torch.where(torch.isfinite(s), s, torch.zeros_like(s))

    # Pixels as rows [P, C] in label order (image, row, column).
    rows = tm_scores.permute(0, 2, 3, 1).reshape(-1, c)
    p64 = probabilities(rows, case["output"])
    pred = rows.argmax(1)
    cm = torch.zeros(c, c, dtype=torch.int64)
    cm.index_put_((lab[kept].long(), pred[kept]), torch.ones(int(kept.sum()), dtype=torch.int64), accumulate=True)

    exp = confmat_metrics(cm)
    exp["confusion"] = cm.tolist()
    exp["pixels"] = int(kept.sum())
    exp["ignored_pixels"] = int((~kept).sum())
    conf, top = p64[kept].max(1)
    exp["ece"] = float(_ce_compute(conf, (top == lab[kept]).to(torch.float64), 15, "l1")) if kept.any() else None
    ent = entropy_of(p64)
    exp["mean_entropy"] = float(ent[kept].sum() / kept.sum()) if kept.any() else None
    exp["mean_entropy_normalized"] = (exp["mean_entropy"] / math.log(c)) if (c > 1 and kept.any()) else None
    exp["mutual_information"] = None
    if mc:
        mc_rows = [probabilities(m.permute(0, 2, 3, 1).reshape(-1, c), case["output"]) for m in mc]
        mean_p = torch.stack(mc_rows).mean(0)
        mean_h = torch.stack([entropy_of(p) for p in mc_rows]).mean(0)
        mi = (entropy_of(mean_p) - mean_h).clamp(min=0)
        # MC pixels: the same mask and label exclusions, judged on the MC passes' own finiteness.
        mc_kept = valid.reshape(-1) & (lab >= 0) & (lab < c)
        if ignore is not None:
            mc_kept &= lab != ignore
        for m in mc:
            mc_kept &= torch.isfinite(m).all(dim=1).reshape(-1)
        exp["mutual_information"] = float(mi[mc_kept].sum() / mc_kept.sum()) if mc_kept.any() else None

    per_tile = []
    image_tile = [tiles[i] for i in range(n_img)]
    for tile in sorted(set(image_tile)):
        px = torch.zeros(n_img, h * w, dtype=torch.bool)
        for i, t in enumerate(image_tile):
            if t == tile:
                px[i] = True
        px = px.reshape(-1)
        k = kept & px
        tcm = torch.zeros(c, c, dtype=torch.int64)
        tcm.index_put_((lab[k].long(), pred[k]), torch.ones(int(k.sum()), dtype=torch.int64), accumulate=True)
        tm = confmat_metrics(tcm)
        per_tile.append({"tile": tile, "pixels": int(k.sum()), "ignored": int((px & ~kept).sum()),
                         "accuracy": tm["overall_accuracy"], "miou": tm["miou"], "iou": tm["iou"],
                         "mean_entropy": float(ent[k].sum() / k.sum()) if k.any() else None})
    exp["per_tile"] = per_tile
    case["expected"] = exp

    differs = {}
    if c >= 2 and kept.any():
        api = public_api(tm_scores, tm_labels, c, tm_ignore)
        assert api["confusion"] == cm.tolist(), f"{case['name']}: confusion matrix differs from torchmetrics"
        for k in ["precision_micro", "recall_micro"]:
            assert abs(api[k] - api["f1_micro"]) < 1e-6, f"{case['name']}: micro {k} != f1_micro"
        case["torchmetrics"] = {k: api[k] for k in SCALARS + ["iou", "precision", "recall", "f1"]}
        in_range_ignore = ignore is not None and 0 <= ignore < c
        for k in SCALARS:
            a, b = api[k], exp[k]
            if (a is None) != (b is None) or (a is not None and abs(a - b) > 2e-6 * max(1.0, abs(b))):
                if k in ("miou", "miou_micro") and in_range_ignore:
                    differs[k] = "ignore_index inside 0..C-1: torchmetrics drops that class from the IoU average"
                else:
                    raise AssertionError(f"{case['name']}: {k} torchmetrics {a} vs float64 {b}")
        for k in ["iou", "precision", "recall", "f1"]:
            for i, (a, b) in enumerate(zip(api[k], exp[k])):
                if b is None:
                    assert a == 0, f"{case['name']}: {k}[{i}] 0/0 expected 0 from torchmetrics, got {a}"
                elif abs(a - b) > 2e-6 * max(1.0, abs(b)):
                    if k == "iou" and in_range_ignore and i == ignore:
                        differs[f"iou[{i}]"] = "torchmetrics zeroes the ignored class"
                    else:
                        raise AssertionError(f"{case['name']}: {k}[{i}] torchmetrics {a} vs float64 {b}")
    else:
        case["torchmetrics"] = None
        differs["all"] = ("C = 1 is not a valid torchmetrics multiclass task" if c < 2
                          else "every pixel excluded: torchmetrics reports 0 where METRICS.md has null")
    case["torchmetrics_differs"] = differs


def build(name, c, n_img, h, w, seed, ignore_index=255, output="logits", spread=2.0, tiles=None,
          mutate=None, mc_passes=0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n_img, c, h, w, generator=g) * spread
    labels = torch.randint(0, c, (n_img, h, w), generator=g, dtype=torch.int64)
    # Make predictions informative: raise the labelled class on about 60% of the pixels.
    boost = (torch.rand(n_img, h, w, generator=g) < 0.6).to(torch.float32) * spread * 1.5
    logits.scatter_add_(1, labels.unsqueeze(1), boost.unsqueeze(1))
    valid = torch.ones(n_img, h, w, dtype=torch.bool)
    nonfinite = []
    if mutate:
        nonfinite = mutate(logits, labels, valid, g) or []
    scores = torch.softmax(logits, dim=1) if output == "probabilities" else logits
    tiles = tiles or [f"tile_{i:02d}" for i in range(n_img)]
    mc = []
    for t in range(mc_passes):
        noise = torch.randn(n_img, c, h, w, generator=g) * 0.7
        mc.append(torch.softmax(logits + noise, 1) if output == "probabilities" else logits + noise)
    case = {"name": name, "classes": c, "ignore_index": ignore_index, "output": output,
            "shape": [n_img, c, h, w], "scores": f32(scores.reshape(-1).tolist()),
            "labels": labels.reshape(-1).tolist(), "valid": None if bool(valid.all()) else valid.reshape(-1).int().tolist(),
            "nonfinite": nonfinite, "tiles": tiles,
            "mc_samples": [f32(m.reshape(-1).tolist()) for m in mc] or None}
    # Evaluate the exact float32 values written to the fixture.
    scores32 = torch.tensor(case["scores"], dtype=torch.float32).reshape(n_img, c, h, w)
    mc32 = [torch.tensor(m, dtype=torch.float32).reshape(n_img, c, h, w) for m in case["mc_samples"] or []]
    evaluate(case, scores32, labels, valid, nonfinite, tiles, mc32)
    return case


def sprinkle_ignore(fraction, value=255):
    def mutate(logits, labels, valid, g):
        labels[torch.rand(labels.shape, generator=g) < fraction] = value
    return mutate


def absent_and_phantom(logits, labels, valid, g):
    # Class 4 never labelled and never predicted; class 3 predicted on some pixels, never labelled.
    labels[labels >= 3] = 0
    logits[:, 4] = -30
    pick = torch.rand(labels.shape, generator=g) < 0.1
    logits[:, 3][pick] = 40


def adversarial(logits, labels, valid, g):
    n, c, h, w = logits.shape
    labels[1] = 255                      # tile_01: every pixel ignored
    labels[0, 0, :4] = -1                # out-of-range labels
    labels[0, 1, :3] = c + 2
    valid[2, :2] = False                 # nodata rows
    logits[3, :, 0, 0] = torch.tensor([60.0, -60.0, 0.0])[:c]   # saturated softmax: confidence exactly 1.0
    logits[3, :, 0, 1] = torch.tensor([-50.0, 50.0, 0.0])[:c]
    labels[3, 0, 1] = 0
    # Non-finite scores at a few pixels (flat indices into [N, C, H, W]).
    return [((2 * c + 1) * h + 5) * w + 6, ((3 * c + 0) * h + 7) * w + 1, ((0 * c + 2) * h + 3) * w + 3]


def all_excluded(logits, labels, valid, g):
    labels[:] = 255


def main():
    cases = [
        build("random_c3", 3, 4, 8, 8, seed=1, mutate=sprinkle_ignore(0.1)),
        build("random_c3_no_ignore_index", 3, 3, 8, 8, seed=2, ignore_index=None),
        build("absent_and_phantom_classes_c5", 5, 3, 8, 8, seed=3, mutate=absent_and_phantom),
        build("adversarial_c3", 3, 4, 8, 8, seed=4, mutate=adversarial, mc_passes=3),
        build("single_class", 1, 2, 6, 6, seed=5, mutate=sprinkle_ignore(0.2)),
        build("binary_confident", 2, 3, 8, 8, seed=6, spread=8.0, mutate=sprinkle_ignore(0.05)),
        build("probabilities_c4", 4, 3, 8, 8, seed=7, output="probabilities", mutate=sprinkle_ignore(0.1),
              mc_passes=2),
        build("ignore_index_inside_classes_c4", 4, 3, 8, 8, seed=8, ignore_index=0),
        build("shared_tiles_c3", 3, 4, 6, 6, seed=9, tiles=["b", "a", "b", "a"], mutate=sprinkle_ignore(0.1)),
        build("many_classes_c12", 12, 3, 16, 16, seed=10, spread=1.5, mutate=sprinkle_ignore(0.05), mc_passes=2),
        build("all_pixels_ignored", 3, 2, 4, 4, seed=11, mutate=all_excluded),
    ]
    doc = {"generator": "scripts/reference/" + os.path.basename(__file__), "torch": torch.__version__,
           "torchmetrics": torchmetrics.__version__, "cases": cases}
    path = os.path.join(ROOT, "fixtures/reference/metrics/torchmetrics.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
    os.replace(path + ".tmp", path)
    for case in cases:
        if case["torchmetrics_differs"]:
            print(f"{case['name']}: differs from torchmetrics public API: {case['torchmetrics_differs']}", file=sys.stderr)
    print(f"wrote {len(cases)} cases to {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
