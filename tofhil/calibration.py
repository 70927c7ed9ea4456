"""Calibration of class probabilities: expected calibration error (ECE) with its reliability bins, and
temperature scaling computed from probabilities alone. TF-free: training fits the temperature, the HIL report
measures the device's calibration.

A model whose top probability says 0.9 should be right 9 times in 10: ST's application trusts a label only
above 0.9 (``postprocessing.threshold``), so a model that is right 95 % of the time but never says more than
0.91 (label smoothing 0.1 caps the softmax near 1 - 0.1 + 0.1 / K) shows "no posture" most of the time.
"""
from __future__ import annotations

import numpy as np

ECE_BINS = 15  # equal-width confidence bins, the usual choice (Guo et al. 2017)


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> dict:
    """ECE = sum over bins of |accuracy - mean confidence| weighted by the bin's share of frames; and per bin
    (lower edge, frames, mean confidence, accuracy) for the reliability diagram."""
    probabilities = np.asarray(probabilities, np.float64)
    labels = np.asarray(labels)
    if not len(labels):
        return {"ece": None, "frames": 0, "bins": []}
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    # a confidence of exactly 1.0 goes in the last bin
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        members = which == b
        count = int(members.sum())
        if not count:
            continue
        mean_conf, accuracy = float(confidence[members].mean()), float(correct[members].mean())
        ece += count / len(labels) * abs(accuracy - mean_conf)
        rows.append({"low": b / bins, "high": (b + 1) / bins, "frames": count, "confidence": mean_conf,
                     "accuracy": accuracy})
    return {"ece": float(ece), "frames": int(len(labels)), "mean_confidence": float(confidence.mean()),
            "accuracy": float(correct.mean()), "bins": rows}


def tempered(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / T) from softmax(logits): log p differs from the logits by a per-row constant."""
    logs = np.log(np.clip(np.asarray(probabilities, np.float64), 1e-300, None)) / temperature
    logs -= logs.max(axis=1, keepdims=True)
    exp = np.exp(logs)
    return exp / exp.sum(axis=1, keepdims=True)


def nll(probabilities: np.ndarray, labels: np.ndarray) -> float:
    picked = np.asarray(probabilities, np.float64)[np.arange(len(labels)), np.asarray(labels)]
    return float(-np.mean(np.log(np.clip(picked, 1e-300, None))))


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray, low: float = 0.05, high: float = 20.0) -> float:
    """The temperature minimising the negative log-likelihood of the labels (one parameter, so fitting it on
    the validation split costs that split little): a grid over log T, then golden-section refinement."""
    if not len(labels):
        return 1.0
    grid = np.exp(np.linspace(np.log(low), np.log(high), 61))
    losses = [nll(tempered(probabilities, t), labels) for t in grid]
    best = int(np.argmin(losses))
    a, b = np.log(grid[max(best - 1, 0)]), np.log(grid[min(best + 1, len(grid) - 1)])
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(40):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if nll(tempered(probabilities, np.exp(c)), labels) < nll(tempered(probabilities, np.exp(d)), labels):
            b = d
        else:
            a = c
    return float(np.exp((a + b) / 2))
