"""Our runtime's figures for the comparison, read defensively from the reports other stages write.

- ``hil_report.json`` of a HIL output folder (``RUN/hil/<board>-<mode>-<stamp>/``): ``board`` and
  ``board_kind``, latency under ``report["latency"]["inference"]`` with a ``"unit"`` (cycles on a board,
  instructions on the emulator, us of wall time on the host) and ``"stats"`` (and ``"us"`` stats on a board),
  the firmware under ``report["firmware"]``, the on-device accuracy under ``report["accuracy"]["device"]``.
- ``RUN/export/model_report.json``: the library footprint (``footprint.flash_bytes``/``ram_bytes``, the same
  scope as ST's weights + runtime library) and the host int8 accuracy (``evaluation.int8_accuracy``).
A key that is absent or of another type leaves its figure empty (with a note); it never stops the table.
"""
from __future__ import annotations

import json
import numbers
from pathlib import Path

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
        path = Path(given) / "hil_report.json" if Path(given).is_dir() else Path(given)
        if not path.is_file():
            raise ComparisonError(f"{path}: HIL report not found; pass a hil_report.json or its output folder")
        return path
    reports = sorted(Path(run_dir).glob("hil/*/hil_report.json"), key=lambda p: p.stat().st_mtime)
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


def board_of(report: dict) -> tuple[str, str]:
    """(name, kind) of the board a HIL report was measured on; kind is physical, qemu or host."""
    board = report.get("board")
    meta = report.get("run_meta") if isinstance(report.get("run_meta"), dict) else {}
    if not isinstance(board, (dict, str)):
        board = meta.get("board", "unknown board")
    if isinstance(board, dict):
        name, kind = str(board.get("name", "unknown board")), str(board.get("kind", ""))
    else:
        name, kind = str(board), str(report.get("board_kind", meta.get("board_kind", "")))
    if not kind:
        kind = "qemu" if any(w in name.lower() for w in ("qemu", "netduino")) else \
            "host" if name.lower() == "host" else "physical"
    return name, kind


def source_label(name: str, kind: str) -> str:
    if kind in EMULATED_KINDS:
        return f"our emulator ({name})"
    return f"our host build ({name})" if kind == "host" else f"our board ({name})"


def latency_figures(report: dict) -> dict[str, float]:
    """{"cycles"|"instructions"|"ms": mean per inference} from ``report["latency"]["inference"]``."""
    inference = report.get("latency", {}).get("inference") if isinstance(report.get("latency"), dict) else None
    if not isinstance(inference, dict):
        return {}
    found = {}
    unit = str(inference.get("unit", "")).lower()
    candidates = [("stats", "mean"), ("mean",), ("stats", "p50"), ("median",), ("p50",)]
    value = next((number_at(inference, *path) for path in candidates if number_at(inference, *path) is not None),
                 None)
    if unit in UNIT_TO_COLUMN and value is not None:
        column, scale = UNIT_TO_COLUMN[unit]
        found[column] = value * scale
    for unit_key, (column, scale) in UNIT_TO_COLUMN.items():  # extra per-unit blocks, e.g. {"us": {"mean": ..}}
        extra = inference.get(unit_key)
        mean = number_at(extra, "mean") if isinstance(extra, dict) else number_at(inference, unit_key)
        if mean is not None and column not in found:
            found[column] = mean * scale
    return found


def device_accuracy(report: dict) -> float | None:
    for path in (("accuracy", "device", "accuracy"), ("accuracy", "device"), ("accuracy",), ("device_accuracy",)):
        value = number_at(report, *path)
        if value is not None:
            return value / 100 if value > 1 else value
    return None


def accuracy_note(report: dict) -> str | None:
    """"on-device accuracy: split test, 95 % CI [a, b] (n frames)" when the report says so."""
    entry = report.get("accuracy", {}).get("device") if isinstance(report.get("accuracy"), dict) else None
    if not isinstance(entry, dict):
        return None
    interval = entry.get("ci95")
    text = f"on-device accuracy: split {entry.get('split', '?')}"
    if isinstance(interval, list) and len(interval) == 2 and all(isinstance(v, numbers.Real) for v in interval):
        text += f", 95 % CI [{interval[0]:.2%}, {interval[1]:.2%}]"
    return text + (f" ({entry['total']} frames)" if isinstance(entry.get("total"), int) else "")


def export_figures(run_dir: Path) -> tuple[dict, list[str]]:
    """({field: (value, source)}, notes) from ``RUN/export/model_report.json``."""
    path = Path(run_dir) / EXPORT_REPORT
    if not path.is_file():
        return {}, [f"{path}: not found (run `python -m training export`)"]
    report = read_json(path, "export report")
    figures, notes = {}, []
    footprint_source = f"our export footprint (library: weights + runtime, arm-none-eabi-gcc {DEFAULT_OPT})"
    for field, key in (("flash_bytes", "flash_bytes"), ("ram_bytes", "ram_bytes")):
        value = number_at(report, "footprint", key)
        if value is not None:
            figures[field] = (value, footprint_source)
    accuracy = number_at(report, "evaluation", "int8_accuracy")
    if accuracy is not None:
        figures["accuracy"] = (accuracy, "host int8 reference (export test set)")
    if not figures:
        notes.append(f"{path}: no footprint or evaluation figures")
    return figures, notes


def hil_figures(report_path: Path) -> tuple[dict, list[str]]:
    """({field: (value, source)}, notes) from a ``hil_report.json``."""
    report = read_json(report_path, "HIL report")
    source = source_label(*board_of(report))
    figures = {column: (value, source) for column, value in latency_figures(report).items()}
    accuracy = device_accuracy(report)
    if accuracy is not None:
        figures["accuracy"] = (accuracy, source)
    firmware = report.get("firmware") if isinstance(report.get("firmware"), dict) else {}
    for field in ("flash_bytes", "ram_bytes"):
        if number_at(firmware, field) is not None:
            figures[f"firmware_{field}"] = (number_at(firmware, field), f"{source}, whole firmware ELF")
    notes = [] if latency_figures(report) else [f"{report_path}: no latency under latency.inference"]
    if accuracy is not None and accuracy_note(report):
        notes.append(accuracy_note(report))
    return figures, notes
