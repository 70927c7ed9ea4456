"""Predictions and metrics of a Keras model on prepared splits."""
from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from training.data.dataset import PreparedSplit
from tofhil.calibration import reliability
from tofhil.metrics import classification_metrics
from tofhil.plots import plot_confusion_matrix


def predict_classes(model: keras.Model, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    if len(x) == 0:
        return np.zeros(0, np.int32)
    scores = model.predict(x, batch_size=batch_size, verbose=0)
    if scores.shape[-1] == 1:  # two classes: one sigmoid unit
        return (scores[:, 0] > 0.5).astype(np.int32)
    return scores.argmax(axis=-1).astype(np.int32)


def loss_of(model: keras.Model, split: PreparedSplit) -> float | None:
    if len(split.y) == 0:
        return None
    scores = model.predict(split.x, batch_size=1024, verbose=0)
    if scores.shape[-1] == 1:
        loss = keras.losses.binary_crossentropy(split.y[:, None].astype("float32"), scores)
    else:
        loss = keras.losses.sparse_categorical_crossentropy(split.y, scores)
    return float(np.mean(keras.ops.convert_to_numpy(loss)))


def expected_calibration_error(model: keras.Model, split: PreparedSplit) -> float | None:
    """ECE of the top probability (tofhil.calibration); None for a single sigmoid output or no frames."""
    if len(split.y) == 0:
        return None
    scores = np.asarray(model.predict(split.x, batch_size=1024, verbose=0), np.float64)
    return reliability(scores, split.y)["ece"] if scores.shape[-1] > 1 else None


def evaluate_splits(model: keras.Model, splits: dict[str, PreparedSplit], class_names: list[str],
                    figures_dir: Path | None = None) -> dict[str, dict]:
    """Metrics per split; with ``figures_dir``, one confusion-matrix PNG per split."""
    results = {}
    for name, split in splits.items():
        y_pred = predict_classes(model, split.x)
        metrics = classification_metrics(split.y, y_pred, class_names)
        metrics["loss"] = loss_of(model, split)
        metrics["ece"] = expected_calibration_error(model, split)
        metrics["frames"] = int(len(split.y))
        results[name] = metrics
        if figures_dir is not None and len(split.y):
            plot_confusion_matrix(np.asarray(metrics["confusion_matrix"]), class_names,
                                  figures_dir / f"confusion_matrix_{name}.png",
                                  title=f"{name} split")
    return results
