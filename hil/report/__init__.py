"""The validation report of a HIL output folder: typed records, metrics, files, MLflow.

``load_validation(out_dir)`` reads what the runner wrote, ``build_report(data)`` computes every figure as one
typed :class:`~hil.report.report_type.HilReport`, ``write_report_files(data, report)`` writes
``hil_report.json`` (:mod:`hil.report.report_file`, which also reads it back: ``read_report``), ``summary.txt``
and the PNG figures atomically; ``make_report(out_dir, gates)`` does all of it, judges the gates and logs to
MLflow.
No TensorFlow anywhere in this package.
"""
from __future__ import annotations

from hil.report.make import GeneratedReport, make_report
from hil.report.metrics import build_report
from hil.report.records import ValidationData, load_validation
from hil.report.render import ReportFiles, summary_text, write_report_files
from hil.report.report_file import read_report
from hil.report.report_type import HilReport

__all__ = ["ValidationData", "load_validation", "build_report", "ReportFiles", "summary_text",
           "write_report_files", "GeneratedReport", "make_report", "HilReport", "read_report"]
