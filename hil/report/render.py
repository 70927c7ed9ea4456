"""Write a report's files into the output folder: ``hil_report.json`` (:mod:`hil.report.report_file`),
``summary.txt``, PNG figures.

Each file goes to a temporary name and is renamed, so a reader never sees half a file, and one failing
figure does not cost the JSON already written (the JSON comes first).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from tofhil.atomic import write_text_atomic
from hil.report.calibration import RELIABILITY_FILE, plot_reliability
from hil.report.per_layer import PROFILE_FILE, plot_layer_profile
from hil.report.plots import plot_device_confusion, plot_latency_histogram
from hil.report.records import ValidationData
from hil.report.report_file import REPORT_FILE, report_json
from hil.report.report_type import HilReport
from hil.report.summary import summary_text
from hil.report.timing import convert_ticks

SUMMARY_FILE = "summary.txt"
CONFUSION_FILE, LATENCY_FILE = "confusion_matrix_device.png", "latency_histogram.png"

__all__ = ["REPORT_FILE", "ReportFiles", "write_report_files", "summary_text", "report_json"]


@dataclass(frozen=True)
class ReportFiles:
    report_json: Path
    summary_txt: Path
    figures: list[Path] = field(default_factory=list)

    def all(self) -> list[Path]:
        return [self.report_json, self.summary_txt, *self.figures]


def write_report_files(data: ValidationData, report: HilReport, gate_results=None, out_dir=None) -> ReportFiles:
    """``gate_results`` (when given) go into the report's ``gates`` before it is written."""
    out_dir = Path(out_dir or data.out_dir)
    if gate_results is not None:
        report = dataclasses.replace(report, gates=list(gate_results))
    json_path = write_text_atomic(out_dir / REPORT_FILE, report_json(report))
    summary_path = write_text_atomic(out_dir / SUMMARY_FILE, summary_text(report))
    figures = [plot_device_confusion(report, out_dir / CONFUSION_FILE)]
    inference = report.latency.inference
    if inference is not None:
        ticks = [r.infer_ticks for r in data.results if r.status == "ok" and r.infer_ticks is not None]
        values, _ = convert_ticks(ticks, data.meta)
        title = f"inference latency on {report.board} ({len(ticks)} frames)"
        figures.append(plot_latency_histogram(values, inference.label, title, out_dir / LATENCY_FILE))
    if report.calibration and report.calibration.bins:
        threshold = report.shown.postprocessing.threshold if report.shown else None
        figures.append(plot_reliability(report.calibration, threshold,
                                        f"reliability on {report.board}, {report.split}",
                                        out_dir / RELIABILITY_FILE))
    if report.per_layer:
        figures.append(plot_layer_profile(report.per_layer, out_dir / PROFILE_FILE))
    return ReportFiles(json_path, summary_path, figures)
