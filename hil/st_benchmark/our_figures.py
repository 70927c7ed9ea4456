"""Our runtime's figures for the comparison, from the reports other stages write.

- ``hil_report.json`` of a HIL output folder (``RUN/hil/<board>-<mode>-<stamp>/``), read as every reader does
  (:func:`hil.report.report_file.read_report`, schema 1 or 2): the board and its kind, the inference latency
  (its unit: cycles on a board, instructions on the emulator, us of wall time on the host; its mean, and the
  microseconds a board's cycles make), the firmware size and the on-device accuracy. A report of another schema
  is refused in one line naming it.
- ``RUN/export/model_report.json``: the library footprint (``footprint.flash_bytes``/``ram_bytes``, the same
  scope as ST's weights + runtime library) and the host int8 accuracy (``evaluation.int8_accuracy``), read
  defensively: a key that is absent or of another type leaves its figure empty (with a note).
"""
from __future__ import annotations

import json
import numbers
from pathlib import Path

from hil.errors import HilError
from hil.report.report_file import REPORT_FILE, read_report
from hil.report.report_type import HilReport
from hil.st_benchmark.errors import ComparisonError
from hil.st_benchmark.run_inputs import EXPORT_REPORT
from tofhil.c_flags import DEFAULT_OPT

EMULATED_KINDS = ("qemu", "emulator")
UNIT_TO_COLUMN = {"cycles": ("cycles", 1.0), "cycle": ("cycles", 1.0), "instructions": ("instructions", 1.0),
                  "instruction": ("instructions", 1.0), "ms": ("ms", 1.0), "us": ("ms", 1e-3),
                  "µs": ("ms", 1e-3), "microseconds": ("ms", 1e-3), "ns": ("ms", 1e-6)}


def read_json(path: Path, what: str) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ComparisonError(f"{path}: cannot read the {what} ({exc}); expected a JSON object") from exc
    if not isinstance(data, dict):
        raise ComparisonError(f"{path}: the {what} should be a JSON object, got {type(data).__name__}")
    return data


def find_hil_report(run_dir: Path, given: Path | None = None) -> Path | None:
    """``given`` (a file or a HIL output folder), else the newest ``RUN/hil/*/hil_report.json``."""
    if given is not None:
        path = Path(given) / REPORT_FILE if Path(given).is_dir() else Path(given)
        if not path.is_file():
            raise ComparisonError(f"{path}: HIL report not found; pass a hil_report.json or its output folder")
        return path
    reports = sorted(Path(run_dir).glob(f"hil/*/{REPORT_FILE}"), key=lambda p: p.stat().st_mtime)
    return reports[-1] if reports else None


def number_at(data, *keys):
    """``data[k0][k1]...`` if it is a number (a dict with "value" counts too), else None."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    if isinstance(data, dict):
        data = data.get("value")
    return data if isinstance(data, numbers.Real) and not isinstance(data, bool) else None


def board_of(report: HilReport) -> tuple[str, str]:
    """(name, kind) of the board a HIL report was measured on; kind is physical, qemu or host."""
    return report.board, report.board_kind


def source_label(name: str, kind: str) -> str:
    if kind in EMULATED_KINDS:
        return f"our emulator ({name})"
    return f"our host build ({name})" if kind == "host" else f"our board ({name})"


def latency_figures(report: HilReport) -> dict[str, float]:
    """{"cycles"|"instructions"|"ms": mean per inference}: the board's own unit, and milliseconds from a
    board's microseconds."""
    inference = report.latency.inference
    if inference is None or inference.stats is None:
        return {}
    found = {}
    if inference.unit in UNIT_TO_COLUMN:
        column, scale = UNIT_TO_COLUMN[inference.unit]
        found[column] = inference.stats.mean * scale
    if inference.us is not None and "ms" not in found:
        found["ms"] = inference.us.mean * 1e-3
    return found


def device_accuracy(report: HilReport) -> float | None:
    return report.accuracy.device.accuracy


def accuracy_note(report: HilReport) -> str | None:
    """"on-device accuracy: split test, 95 % CI [a, b] (n frames)"."""
    entry = report.accuracy.device
    text = f"on-device accuracy: split {entry.split}"
    if entry.ci95:
        text += f", 95 % CI [{entry.ci95[0]:.2%}, {entry.ci95[1]:.2%}]"
    return text + f" ({entry.total} frames)"


def export_figures(run_dir: Path) -> tuple[dict, list[str]]:
    """({field: (value, source)}, notes) from ``RUN/export/model_report.json``."""
    path = Path(run_dir) / EXPORT_REPORT
    if not path.is_file():
        return {}, [f"{path}: not found (run `python -m training export`)"]
    model_report = read_json(path, "export report")
    figures, notes = {}, []
    footprint_source = f"our export footprint (library: weights + runtime, arm-none-eabi-gcc {DEFAULT_OPT})"
    for field, key in (("flash_bytes", "flash_bytes"), ("ram_bytes", "ram_bytes")):
        value = number_at(model_report, "footprint", key)
        if value is not None:
            figures[field] = (value, footprint_source)
    accuracy = number_at(model_report, "evaluation", "int8_accuracy")
    if accuracy is not None:
        figures["accuracy"] = (accuracy, "host int8 reference (export test set)")
    if not figures:
        notes.append(f"{path}: no footprint or evaluation figures")
    return figures, notes


def hil_figures(report_path: Path) -> tuple[dict, list[str]]:
    """({field: (value, source)}, notes) from a ``hil_report.json``."""
    try:
        report = read_report(report_path)
    except HilError as exc:
        raise ComparisonError(str(exc)) from None
    source = source_label(*board_of(report))
    figures = {column: (value, source) for column, value in latency_figures(report).items()}
    accuracy = device_accuracy(report)
    if accuracy is not None:
        figures["accuracy"] = (accuracy, source)
    firmware = report.firmware
    for field, value in (("flash_bytes", firmware and firmware.flash_bytes),
                         ("ram_bytes", firmware and firmware.ram_bytes)):
        if value is not None:
            figures[f"firmware_{field}"] = (value, f"{source}, whole firmware ELF")
    notes = [] if latency_figures(report) else [f"{report_path}: no latency under latency.inference"]
    if accuracy is not None:
        notes.append(accuracy_note(report))
    return figures, notes
