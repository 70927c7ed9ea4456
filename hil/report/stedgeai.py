"""The metrics table engineers know from ST's ``stedgeai validate``: acc, rmse, mae, l2r, cos.

As ST does, the int8 outputs are dequantized first (``(q - zero_point) * scale``) and compared with a
reference: the one-hot labels, or another model's outputs. Definitions (over all outputs of all frames):
acc = share of frames whose top-1 class matches the reference's; rmse = sqrt(mean((y - r)^2));
mae = mean(|y - r|); l2r = ||y - r||_2 / ||r||_2 (relative L2 error); cos = <y, r> / (||y|| ||r||).
"""
from __future__ import annotations

import numpy as np

METRIC_KEYS = ("acc", "rmse", "mae", "l2r", "cos")


def dequantize(values, scale: float, zero_point: int) -> np.ndarray:
    return (np.asarray(values, np.float64) - zero_point) * scale


def one_hot(labels, num_outputs: int) -> np.ndarray:
    labels = np.asarray(labels, np.int64)
    if num_outputs == 1:  # a sigmoid model: the reference is the probability of class 1
        return labels[:, None].astype(np.float64)
    encoded = np.zeros((labels.size, num_outputs))
    encoded[np.arange(labels.size), labels] = 1.0
    return encoded


def top1(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, np.float64)
    if scores.shape[1] == 1:
        return (scores[:, 0] > 0.5).astype(np.int64)
    return scores.argmax(axis=1)


def st_metrics(predicted, reference) -> dict:
    """The five figures of one row; all ``None`` for no frames, l2r/cos ``None`` for an all-zero vector."""
    y, r = np.asarray(predicted, np.float64), np.asarray(reference, np.float64)
    if y.shape != r.shape:
        raise ValueError(f"predicted {y.shape} and reference {r.shape} differ in shape")
    if y.shape[0] == 0:
        return dict.fromkeys(METRIC_KEYS)
    error = y - r
    ref_norm, y_norm = float(np.linalg.norm(r)), float(np.linalg.norm(y))
    return {
        "acc": float(np.mean(top1(y) == top1(r))),
        "rmse": float(np.sqrt(np.mean(error ** 2))),
        "mae": float(np.mean(np.abs(error))),
        "l2r": float(np.linalg.norm(error)) / ref_norm if ref_norm else None,
        "cos": float(np.sum(y * r)) / (y_norm * ref_norm) if y_norm and ref_norm else None,
    }


def stedgeai_rows(device, host_int8, host_float, labels, scale: float, zero_point: int) -> list[dict]:
    """Rows device vs labels, host int8 vs labels, host float vs labels, device vs host int8
    (ST's "TARGET c-model", "original model" and "X-cross"), on the frames both sides classified."""
    device_q, host_q = dequantize(device, scale, zero_point), dequantize(host_int8, scale, zero_point)
    truth = one_hot(labels, host_q.shape[1] if host_q.ndim == 2 else 1)
    pairs = [("device vs labels", device_q, truth), ("host int8 vs labels", host_q, truth),
             ("host float vs labels", np.asarray(host_float, np.float64), truth),
             ("device vs host int8", device_q, host_q)]
    return [{"row": name, "frames": int(len(y)), **st_metrics(y, r)} for name, y, r in pairs]
