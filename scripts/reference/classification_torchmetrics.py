"""Reference values for GeoLensEval's tile-task metrics, computed with torchmetrics 1.9.

Writes fixtures/reference/metrics/classification.json. Each case holds per-tile probabilities
(float32, written with 9 significant digits so they round-trip exactly), the labels (a class
index per tile, or a 0/1 row per tile for multi-label) and the values of torchmetrics' public
classes (their float32 results):

- classification: MulticlassAccuracy micro (overall_accuracy) and macro (accuracy_macro),
  MulticlassAccuracy(top_k=k) micro for k = 2..min(5, K-1), MulticlassPrecision/Recall/F1Score
  macro and none, MulticlassF1Score micro and weighted, MulticlassCohenKappa, MulticlassAUROC
  and MulticlassAveragePrecision (thresholds=None) macro and none, MulticlassConfusionMatrix,
  MulticlassCalibrationError(n_bins=15, norm="l1").
- multilabel: MultilabelPrecision/Recall/F1Score macro and none, MultilabelF1Score micro,
  MultilabelHammingDistance (macro, the default), MultilabelExactMatch, MultilabelAUROC and
  MultilabelAveragePrecision (thresholds=None) macro and none, MultilabelConfusionMatrix.

Cases are adversarial on purpose: tied probabilities (inside a class's ranking, at the argmax
and at the top-k boundary), probabilities exactly at the threshold, classes absent from the
labels, from the predictions or from both, a label with no negative tile, K = 2 (no top-k).
torch.topk breaks ties at the k-th place in an implementation-defined way; GeoLens gives them to
the lower class index (as argmax does for k = 1). Each case records, per k, the top-k accuracy
under that rule and the number of tiles whose label ties across the k-th place; the tests
compare with torchmetrics where that number is 0 and with the rule otherwise.
Per-class values where torchmetrics returns 0 for a 0/0 (precision, recall, F1, AUROC without
positives or negatives) or NaN (average precision without positives) are written as they are
(NaN as null); GeoLens reports null per class there, and the Swift tests map one onto the other.
The Swift tests (Tests/GeoLensEvalTests/ClassificationParityTests.swift) compare at 1e-6.

Run: /work/venv-classify/bin/python scripts/reference/classification_torchmetrics.py
"""
import json
import math
import os
import sys

import torch
import torchmetrics
from torchmetrics.classification import (MulticlassAccuracy, MulticlassAUROC, MulticlassAveragePrecision,
                                         MulticlassCalibrationError, MulticlassCohenKappa, MulticlassConfusionMatrix,
                                         MulticlassF1Score, MulticlassPrecision, MulticlassRecall, MultilabelAUROC,
                                         MultilabelAveragePrecision, MultilabelConfusionMatrix, MultilabelExactMatch,
                                         MultilabelF1Score, MultilabelHammingDistance, MultilabelPrecision,
                                         MultilabelRecall)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT  # noqa: E402


def f32(values):
    return [float(f"{v:.9g}") for v in values]


def num(x):
    x = float(x)
    return None if math.isnan(x) else x


def nums(t):
    return [num(v) for v in t.tolist()]


def run(metric, preds, target):
    metric.update(preds, target)
    return metric.compute()


def lower_index_top_k(preds, target, k):
    """Top-k accuracy with ties at the k-th place given to the lower class index (GeoLens's rule),
    and the number of tiles whose label ties across the k-th place (where torch.topk's choice is
    implementation-defined)."""
    hits, ties = 0, 0
    for row, label in zip(preds.tolist(), target.tolist()):
        p = row[label]
        greater = sum(1 for v in row if v > p)
        equal = sum(1 for v in row if v == p)  # includes the label itself
        lower_equal = sum(1 for i, v in enumerate(row) if v == p and i < label)
        hits += (greater + lower_equal) < k
        ties += greater < k < greater + equal
    return hits / len(target), ties


def classification_case(name, probs, labels, note=""):
    preds = torch.tensor(probs, dtype=torch.float32)
    target = torch.tensor(labels, dtype=torch.long)
    k = preds.shape[1]
    kw = dict(num_classes=k)
    expected = {
        "overall_accuracy": num(run(MulticlassAccuracy(average="micro", **kw), preds, target)),
        "accuracy_macro": num(run(MulticlassAccuracy(average="macro", **kw), preds, target)),
        "top_k_accuracy": {str(t): num(run(MulticlassAccuracy(average="micro", top_k=t, **kw), preds, target))
                           for t in range(2, min(5, k - 1) + 1)},
        "precision_macro": num(run(MulticlassPrecision(average="macro", **kw), preds, target)),
        "recall_macro": num(run(MulticlassRecall(average="macro", **kw), preds, target)),
        "f1_macro": num(run(MulticlassF1Score(average="macro", **kw), preds, target)),
        "f1_micro": num(run(MulticlassF1Score(average="micro", **kw), preds, target)),
        "f1_weighted": num(run(MulticlassF1Score(average="weighted", **kw), preds, target)),
        "kappa": num(run(MulticlassCohenKappa(**kw), preds, target)),
        "auroc_macro": num(run(MulticlassAUROC(average="macro", thresholds=None, **kw), preds, target)),
        "average_precision_macro": num(run(MulticlassAveragePrecision(average="macro", thresholds=None, **kw),
                                           preds, target)),
        "precision": nums(run(MulticlassPrecision(average="none", **kw), preds, target)),
        "recall": nums(run(MulticlassRecall(average="none", **kw), preds, target)),
        "f1": nums(run(MulticlassF1Score(average="none", **kw), preds, target)),
        "auroc": nums(run(MulticlassAUROC(average="none", thresholds=None, **kw), preds, target)),
        "average_precision": nums(run(MulticlassAveragePrecision(average="none", thresholds=None, **kw), preds, target)),
        "confusion": run(MulticlassConfusionMatrix(**kw), preds, target).tolist(),
        "ece": num(run(MulticlassCalibrationError(n_bins=15, norm="l1", **kw), preds, target)),
    }
    rule = {str(t): lower_index_top_k(preds, target, t) for t in range(2, min(5, k - 1) + 1)}
    expected["top_k_accuracy_lower_index"] = {t: v[0] for t, v in rule.items()}
    expected["top_k_boundary_ties"] = {t: v[1] for t, v in rule.items()}
    return {"name": name, "task": "classification", "note": note, "classes": k,
            "probabilities": [f32(row) for row in preds.tolist()], "labels": labels, "expected": expected}


def multilabel_case(name, probs, labels, threshold=0.5, note=""):
    preds = torch.tensor(probs, dtype=torch.float32)
    target = torch.tensor(labels, dtype=torch.long)
    k = preds.shape[1]
    kw = dict(num_labels=k, threshold=threshold)
    expected = {
        "precision_macro": num(run(MultilabelPrecision(average="macro", **kw), preds, target)),
        "recall_macro": num(run(MultilabelRecall(average="macro", **kw), preds, target)),
        "f1_macro": num(run(MultilabelF1Score(average="macro", **kw), preds, target)),
        "f1_micro": num(run(MultilabelF1Score(average="micro", **kw), preds, target)),
        "hamming_distance": num(run(MultilabelHammingDistance(**kw), preds, target)),
        "exact_match": num(run(MultilabelExactMatch(**kw), preds, target)),
        "auroc_macro": num(run(MultilabelAUROC(num_labels=k, average="macro", thresholds=None), preds, target)),
        "average_precision_macro": num(run(MultilabelAveragePrecision(num_labels=k, average="macro", thresholds=None),
                                           preds, target)),
        "precision": nums(run(MultilabelPrecision(average="none", **kw), preds, target)),
        "recall": nums(run(MultilabelRecall(average="none", **kw), preds, target)),
        "f1": nums(run(MultilabelF1Score(average="none", **kw), preds, target)),
        "auroc": nums(run(MultilabelAUROC(num_labels=k, average="none", thresholds=None), preds, target)),
        "average_precision": nums(run(MultilabelAveragePrecision(num_labels=k, average="none", thresholds=None),
                                      preds, target)),
        "confusion": run(MultilabelConfusionMatrix(**kw), preds, target).tolist(),
    }
    return {"name": name, "task": "multilabel", "note": note, "classes": k, "threshold": threshold,
            "probabilities": [f32(row) for row in preds.tolist()], "labels": labels, "expected": expected}


def softmax_rows(g, n, k, scale=2.0):
    return torch.softmax(torch.randn(n, k, generator=g) * scale, dim=1).tolist()


def main():
    g = torch.Generator().manual_seed(17)
    cases = []

    # Classification.
    labels = torch.randint(0, 4, (40,), generator=g).tolist()
    cases.append(classification_case("random_k4", softmax_rows(g, 40, 4), labels, "40 tiles, 4 classes"))

    labels = torch.randint(0, 6, (60,), generator=g).tolist()
    cases.append(classification_case("random_k6_topk", softmax_rows(g, 60, 6, 1.0), labels, "top-k for k = 2..5"))

    labels = torch.randint(0, 2, (25,), generator=g).tolist()
    cases.append(classification_case("binary_k2", softmax_rows(g, 25, 2), labels, "K = 2: no top-k entry"))

    # Ties: probabilities from a few exact binary fractions; the argmax tie goes to the lower index.
    grid = [[0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5], [0.375, 0.375, 0.25],
            [0.25, 0.375, 0.375], [0.5, 0.25, 0.25], [0.375, 0.25, 0.375], [0.5, 0.5, 0.0]]
    rows = [grid[int(i)] for i in torch.randint(0, len(grid), (30,), generator=g)]
    labels = torch.randint(0, 3, (30,), generator=g).tolist()
    cases.append(classification_case("ties_k3", rows, labels, "tied scores in every ranking and at the argmax"))

    # Absent classes: class 3 is never labelled (but predicted), class 4 neither labelled nor predicted.
    probs = torch.softmax(torch.randn(24, 5, generator=g) * 2, dim=1)
    probs[:, 4] = 0.0
    probs = probs / probs.sum(1, keepdim=True)
    labels = torch.randint(0, 3, (24,), generator=g).tolist()
    cases.append(classification_case("absent_classes_k5", probs.tolist(), labels,
                                     "class 3 predicted but never labelled, class 4 neither"))

    # One class only in the labels; perfect and worst orderings.
    cases.append(classification_case("single_label_class", softmax_rows(g, 12, 3), [1] * 12,
                                     "every tile labelled 1: AUROC of the others has no positives"))
    eye = [[0.9 if j == i % 3 else 0.05 for j in range(3)] for i in range(9)]
    cases.append(classification_case("perfect_k3", eye, [i % 3 for i in range(9)], "every tile right"))

    # Every tile labelled class 0: torchmetrics then gives the other classes AP 0 instead of NaN.
    cases.append(classification_case("all_class_0", softmax_rows(g, 10, 3), [0] * 10,
                                     "every label is 0: classes 1 and 2 count with AP 0 in the macro"))

    # Ties at the top-k boundary: scores from a few exact values, K = 6.
    values = [0.0625, 0.125, 0.25]
    rows = [[values[int(i)] for i in torch.randint(0, 3, (6,), generator=g)] for _ in range(40)]
    labels = torch.randint(0, 6, (40,), generator=g).tolist()
    cases.append(classification_case("topk_ties_k6", rows, labels, "ties at the k-th place of top-k"))

    # Multi-label.
    probs = torch.sigmoid(torch.randn(30, 4, generator=g) * 2).tolist()
    labels = (torch.rand(30, 4, generator=g) < 0.4).long().tolist()
    cases.append(multilabel_case("random_l4", probs, labels, note="30 tiles, 4 labels"))

    values = [0.0, 0.25, 0.5, 0.75, 1.0]
    probs = [[values[int(i)] for i in torch.randint(0, 5, (4,), generator=g)] for _ in range(28)]
    labels = (torch.rand(28, 4, generator=g) < 0.5).long().tolist()
    for row in labels:
        row[2] = 0  # label 2 never positive
        row[3] = 1  # label 3 never negative
    cases.append(multilabel_case("ties_threshold_absent_l4", probs, labels,
                                 note="scores on a grid with 0.5 exactly at the threshold; label 2 has no positives, "
                                      "label 3 no negatives"))

    probs = torch.sigmoid(torch.randn(20, 3, generator=g)).tolist()
    labels = (torch.rand(20, 3, generator=g) < 0.3).long().tolist()
    cases.append(multilabel_case("threshold_0_3", probs, labels, threshold=0.3, note="threshold 0.3"))

    probs = torch.sigmoid(torch.randn(10, 3, generator=g) - 3).tolist()
    cases.append(multilabel_case("empty_sets", probs, [[0, 0, 0]] * 9 + [[0, 1, 0]],
                                 note="nearly every tile has no label and nothing is predicted"))

    out = {"generator": "scripts/reference/classification_torchmetrics.py", "torch": torch.__version__,
           "torchmetrics": torchmetrics.__version__, "cases": cases}
    path = os.path.join(ROOT, "fixtures", "reference", "metrics", "classification.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases (torch {torch.__version__}, torchmetrics {torchmetrics.__version__})")


if __name__ == "__main__":
    main()
