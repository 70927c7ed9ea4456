"""Classification metrics as JSON-ready dicts.

Undefined ratios (precision of a class never predicted, recall of a class with no
support, F1 of a class neither present nor predicted) are ``None``, not NaN, so the dict goes through ``json.dumps`` as valid JSON.
Macro averages are taken over the classes where the ratio is defined.
"""
from __future__ import annotations

import numpy as np


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
    return {
        "accuracy": _ratio(hits.sum(), total),
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
