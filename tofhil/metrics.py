"""Classification metrics as JSON-ready dicts.

Undefined ratios (precision of a class never predicted, recall of a class with no
support, F1 of a class neither present nor predicted) are ``None``, not NaN, so the dict goes through ``json.dumps`` as valid JSON.
Macro averages are taken over the classes where the ratio is defined. Accuracy carries its 95 % Wilson
score interval (``accuracy_ci95``): a test set of a few hundred frames moves accuracy by several points.
"""
from __future__ import annotations

import math

import numpy as np

Z_95 = 1.959963984540054  # two-sided 95 % quantile of the standard normal


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval of a binomial proportion (``None`` for no trials): unlike the normal
    approximation it stays inside [0, 1] and is honest at 0 % or 100 % on small sets."""
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be in [0, {trials}], got {successes}")
    p, z2 = successes / trials, z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    # exact at the ends: 0 and 1 are bounds, not rounding residues
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def format_accuracy(split: str, correct: int, total: int) -> str:
    """"test accuracy: 82.68 % (95 % CI 81.03-84.21 %, 2171 frames)": every printed accuracy names its split."""
    if total <= 0:
        return f"{split} accuracy: no frames"
    low, high = wilson_interval(correct, total)
    return (f"{split} accuracy: {100 * correct / total:.2f} % "
            f"(95 % CI {100 * low:.2f}-{100 * high:.2f} %, {total} frames)")


def accuracy_text(split: str, metrics: dict) -> str:
    """:func:`format_accuracy` of a :func:`classification_metrics` dict."""
    matrix = np.asarray(metrics["confusion_matrix"], np.int64)
    return format_accuracy(split, int(np.trace(matrix)), int(matrix.sum()))


def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    """(K, K) int64 counts: row = true class index, column = predicted class index."""
    y_true, y_pred = _indices(y_true, num_classes, "y_true"), _indices(y_pred, num_classes, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.shape[0]} labels but y_pred has {y_pred.shape[0]}")
    matrix = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def classification_metrics(y_true, y_pred, class_names: list[str]) -> dict:
    """Accuracy, per-class precision/recall/F1/support, macro averages and the confusion matrix."""
    matrix = confusion_matrix(y_true, y_pred, len(class_names))
    hits = np.diag(matrix)
    support, predicted = matrix.sum(axis=1), matrix.sum(axis=0)
    per_class = {}
    for k, name in enumerate(class_names):
        precision = _ratio(hits[k], predicted[k])
        recall = _ratio(hits[k], support[k])
        # F1 = 2TP / (2TP + FP + FN): 0 for a class that has support but is never predicted
        f1 = _ratio(2 * hits[k], support[k] + predicted[k])
        per_class[name] = {"precision": precision, "recall": recall, "f1": f1,
                           "support": int(support[k])}
    total = int(matrix.sum())
    interval = wilson_interval(int(hits.sum()), total)
    return {
        "accuracy": _ratio(hits.sum(), total),
        "accuracy_ci95": list(interval) if interval else None,
        "samples": total,
        "per_class": per_class,
        "macro": {key: _mean([entry[key] for entry in per_class.values()])
                  for key in ("precision", "recall", "f1")},
        "class_names": list(class_names),
        "confusion_matrix": matrix.tolist(),
    }


def _indices(labels, num_classes: int, name: str) -> np.ndarray:
    labels = np.asarray(labels).ravel()
    if labels.size and (labels.dtype.kind not in "iu" and not np.all(labels == np.round(labels))):
        raise ValueError(f"{name} must hold class indices (whole numbers), got dtype {labels.dtype}")
    labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{name} holds class indices outside [0, {num_classes - 1}]")
    return labels


def _ratio(numerator, denominator) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


def _mean(values: list[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return float(sum(defined) / len(defined)) if defined else None
