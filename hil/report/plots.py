"""PNG figures of the report: the device's confusion matrix and the inference latency histogram.

Matplotlib through the Agg canvas (``Figure``, no pyplot): no display, no global state. Every file is written
under a temporary name and renamed, so a figure on disk is always whole.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from hil.report.report_type import HilReport
from tofhil.atomic import atomic_target
from tofhil.plots import plot_confusion_matrix


def plot_device_confusion(report: HilReport, path: Path) -> Path:
    device = report.classification.device
    title = f"on device: {report.board} ({report.mode} mode), {report.split}"
    with atomic_target(path) as temporary:
        plot_confusion_matrix(np.asarray(device.confusion_matrix), report.class_names, temporary, title=title)
    return Path(path)


def plot_latency_histogram(values, label: str, title: str, path: Path) -> Path:
    """Histogram of per-frame inference latency; mean and p99 marked."""
    values = np.asarray(values, np.float64)
    figure = Figure(figsize=(7, 4), layout="constrained")
    axes = figure.add_subplot()
    if values.size:
        axes.hist(values, bins=min(50, max(5, int(np.sqrt(values.size)))), color="tab:blue", alpha=0.8)
        for name, value, style in (("mean", values.mean(), "-"), ("p99", np.percentile(values, 99), "--")):
            axes.axvline(value, color="black", linestyle=style, label=f"{name} {value:,.1f}")
        axes.legend()
    else:
        axes.text(0.5, 0.5, "no latency measured", ha="center", va="center", transform=axes.transAxes)
    axes.set_xlabel(label)
    axes.set_ylabel("frames")
    axes.set_title(title, fontsize=10)
    axes.grid(True, alpha=0.3)
    with atomic_target(path) as temporary:
        figure.savefig(temporary, dpi=100)
    return Path(path)
