"""The one report builder: from an output folder to every report file: load, compute, judge the gates, write,
track (``python -m hil run`` and ``pytest hil`` both come here through ``hil.validation.report_and_judge``)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from hil.report.gates import GateResult, GateThresholds, evaluate_gates
from hil.report.metrics import build_report
from hil.report.mlflow_log import log_report
from hil.report.records import ValidationData, load_validation
from hil.report.render import ReportFiles, write_report_files
from hil.report.report_file import REPORT_FILE
from hil.report.report_type import HilReport


@dataclass(frozen=True)
class GeneratedReport:
    data: ValidationData
    report: HilReport  # with the gates judged
    files: ReportFiles
    gates: list[GateResult] = field(default_factory=list)
    mlflow_run_id: str | None = None


def make_report(out_dir, gates: GateThresholds | None = None, track: bool = True,
                run_dir=None) -> GeneratedReport:
    """``gates=None`` judges no gate; ``track`` logs the folder's files (all but the ``*.log``) to the training
    run's MLflow (a failure only warns)."""
    data = load_validation(out_dir)
    report = build_report(data)
    evidence = Path(data.out_dir) / REPORT_FILE
    results = evaluate_gates(report, gates, evidence) if gates is not None else []
    if gates is not None:
        report = dataclasses.replace(report, gates=results)
    files = write_report_files(data, report)
    run_id = log_report(data.out_dir, report, run_dir, results) if track else None
    return GeneratedReport(data, report, files, results, run_id)
