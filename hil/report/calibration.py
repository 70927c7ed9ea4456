"""The report's ``calibration`` section: how far the device's top probability is from how often it is right
(expected calibration error and the reliability bins, :mod:`tofhil.calibration`), over the frames the device
classified, its int8 outputs dequantized. It says whether ``postprocessing.threshold`` means what it says."""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from hil.report.report_type import CalibrationSection
from tofhil.atomic import atomic_target
from tofhil.calibration import reliability

RELIABILITY_FILE = "reliability_diagram.png"


def calibration_section(device_out: np.ndarray, ok: np.ndarray, labels: np.ndarray, scale: float,
                        zero_point: int) -> dict | None:
    if device_out.ndim != 2 or device_out.shape[1] < 2:
        return None  # a single sigmoid output has no class probabilities to calibrate here
    probabilities = (device_out[ok].astype(np.float64) - zero_point) * scale
    return reliability(probabilities, labels[ok])


def calibration_line(section: CalibrationSection | None, threshold: float | None) -> str:
    if not section or section.ece is None:
        return ""
    line = (f"calibration (device, {section.frames} frames): expected calibration error "
            f"{100 * section.ece:.2f} points, mean top probability {100 * section.mean_confidence:.2f} % "
            f"vs accuracy {100 * section.accuracy:.2f} %")
    return line + (f"; reliability diagram: {RELIABILITY_FILE}" if threshold is not None else "")


def plot_reliability(section: CalibrationSection, threshold: float | None, title: str, path: Path) -> Path:
    """Accuracy per confidence bin against the diagonal, bin sizes below; the threshold marked."""
    figure = Figure(figsize=(6, 6), layout="constrained")
    top, bottom = figure.subplots(2, 1, height_ratios=(3, 1), sharex=True)
    bins = section.bins
    centres = [(b.low + b.high) / 2 for b in bins]
    width = bins[0].high - bins[0].low if bins else 0.05
    top.bar(centres, [b.accuracy for b in bins], width=width * 0.9, color="tab:blue", alpha=0.8,
            label="accuracy in bin")
    top.plot([b.confidence for b in bins], [b.accuracy for b in bins], "o", color="black", markersize=3,
             label="(mean confidence, accuracy)")
    top.plot([0, 1], [0, 1], "--", color="gray", label="perfectly calibrated")
    bottom.bar(centres, [b.frames for b in bins], width=width * 0.9, color="tab:gray")
    for axes in (top, bottom):
        if threshold is not None:
            axes.axvline(threshold, color="tab:red", linestyle=":", label=f"threshold {threshold:g}")
        axes.grid(True, alpha=0.3)
    top.set_ylabel("accuracy")
    # the split's name is long ("validation split (held-out sessions of the run, 8 sessions)"): wrapped to fit
    top.set_title("\n".join([*textwrap.wrap(title, 70), f"ECE {100 * section.ece:.2f} points"]), fontsize=10)
    top.legend(fontsize=8, loc="upper left")
    bottom.set_xlabel("top probability (confidence)")
    bottom.set_ylabel("frames")
    bottom.set_xlim(0, 1)
    with atomic_target(path) as temporary:
        figure.savefig(temporary, dpi=100)
    return Path(path)
