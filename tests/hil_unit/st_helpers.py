"""Helpers of the ST Edge AI backend tests (test_st_backend.py, test_st_client_first_use.py)."""
from __future__ import annotations

import json
from pathlib import Path

from hil.st_benchmark.cli import main_benchmark

FAKES = Path(__file__).resolve().parents[1] / "fakes"


def write_hil_report(folder: Path, report) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hil_report.json"
    path.write_text(report if isinstance(report, str) else json.dumps(report))
    return path


def cloud(run: Path, *extra: str) -> int:
    return main_benchmark(["--backend", "st-cloud", "--run-dir", str(run), "--output-dir", str(run / "out"), *extra])


def results_of(run: Path) -> dict:
    return json.loads((run / "out" / "st_cloud_results.json").read_text())
