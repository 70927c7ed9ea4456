"""Helpers of the ST Edge AI backend tests (test_st_backend.py, test_st_client_first_use.py)."""
from __future__ import annotations

import json
from pathlib import Path

from hil.st_benchmark.cli import main_benchmark

FAKES = Path(__file__).resolve().parents[1] / "fakes"
SCHEMA1_REPORT = Path(__file__).resolve().parents[1] / "fixtures" / "hil_report_schema1" / "hil_report.json"


def merged(base: dict, changes: dict) -> dict:
    """``base`` with ``changes`` laid over it, nested objects key by key (a None or a list replaces)."""
    out = dict(base)
    for key, value in changes.items():
        out[key] = merged(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out


def write_hil_report(folder: Path, report) -> Path:
    """A ``hil_report.json``: text as given, or a dict of changes laid over the schema-1 report that
    hil.report wrote before the report was typed (tests/fixtures/hil_report_schema1)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hil_report.json"
    if not isinstance(report, str):
        report = json.dumps(merged(json.loads(SCHEMA1_REPORT.read_text()), report))
    path.write_text(report)
    return path


def cloud(run: Path, *extra: str) -> int:
    return main_benchmark(["--backend", "st-cloud", "--run-dir", str(run), "--output-dir", str(run / "out"), *extra])


def results_of(run: Path) -> dict:
    return json.loads((run / "out" / "st_cloud_results.json").read_text())
