"""PNG plots of a run: training curves and confusion matrices.

Figures are built with ``matplotlib.figure.Figure`` and saved through the Agg canvas:
no pyplot, so no global state, no display needed, safe in threads and tests.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

LEARNING_RATE_KEYS = ("learning_rate", "lr")  # Keras 3 logs "learning_rate"; ST's callbacks logged "lr"


def plot_training_curves(history: dict[str, list[float]], path) -> Path:
    """Accuracy and loss, training vs validation, and the learning rate when the history holds it."""
    lr_key = next((key for key in LEARNING_RATE_KEYS if history.get(key)), None)
    panels = [("accuracy", "accuracy"), ("loss", "loss")] + ([(lr_key, "learning rate")] if lr_key else [])
    figure = Figure(figsize=(5 * len(panels), 4), layout="constrained")
    for index, (key, title) in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), index + 1)
        _plot_series(axes, history, key, title)
    return _save(figure, path)


def _plot_series(axes, history: dict, key: str, title: str) -> None:
    plotted = False
    for label, series_key in (("training", key), ("validation", f"val_{key}")):
        values = history.get(series_key)
        if values:
            axes.plot(range(1, len(values) + 1), values, label=label)
            plotted = True
    if not plotted:
        axes.text(0.5, 0.5, f"no '{key}' in the history", ha="center", va="center", transform=axes.transAxes)
    elif key in LEARNING_RATE_KEYS:
        axes.set_yscale("log" if min(history[key]) > 0 else "linear")
    else:
        axes.legend()
    axes.set_title(title)
    axes.set_xlabel("epoch")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(True, alpha=0.3)


def plot_confusion_matrix(matrix, class_names: list[str], path, title: str = "Confusion matrix") -> Path:
    """Colours: each row normalised to its support (recall on the diagonal); cells show the counts."""
    counts = np.asarray(matrix, dtype=np.int64)
    if counts.shape != (len(class_names), len(class_names)):
        raise ValueError(f"matrix has shape {counts.shape}; expected ({len(class_names)}, {len(class_names)})")
    support = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, support, out=np.zeros(counts.shape), where=support > 0)
    size = 2.5 + 0.7 * len(class_names)
    figure = Figure(figsize=(size + 1.5, size), layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="share of the true class")
    for (row, col), count in np.ndenumerate(counts):
        axes.text(col, row, str(count), ha="center", va="center", fontsize=8,
                  color="white" if share[row, col] > 0.6 else "black")
    ticks = np.arange(len(class_names))
    axes.set_xticks(ticks, labels=class_names, rotation=45, ha="right", rotation_mode="anchor")
    axes.set_yticks(ticks, labels=[f"{name} ({int(n)})" for name, n in zip(class_names, support[:, 0])])
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class (support)")
    total = int(counts.sum())
    subtitle = f"accuracy {np.trace(counts) / total:.2%} on {total} samples" if total else "no samples"
    axes.set_title(f"{title}\n{subtitle}", fontsize=10)
    return _save(figure, path)


def _save(figure: Figure, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path
