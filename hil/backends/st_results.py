"""Plain JSON figures from the result objects of ST's ``stm32ai_dc`` client.

The client returns NamedTuples (``AnalyzeResult``, ``BenchmarkResult``, ``BoardData``,
``ValidateResultMetrics``) and writes -1 where the server sent nothing. Here: bytes, MACC, cycles and
milliseconds under names that say what they measure, ``None`` for "not reported", and
:class:`ReplyShapeError` for a reply this harness cannot read.
"""
from __future__ import annotations

import numbers
import re

VALIDATION_FIELDS = ("accuracy", "description", "l2r", "mae", "mean", "rmse", "std", "ts_name")


class ReplyShapeError(ValueError):
    """A client result lacks a field or holds a value of the wrong type."""


def _field(result, name: str, required: bool = True):
    if not hasattr(result, name):
        if required:
            raise ReplyShapeError(f"{type(result).__name__} has no field {name!r}")
        return None
    return getattr(result, name)


def _count(result, name: str, required: bool = True) -> int | float | None:
    """A size or count; ``None`` when the client marks it missing (-1 or None)."""
    value = _field(result, name, required)
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, numbers.Real):
        raise ReplyShapeError(f"field {name!r} should be a number, got {type(value).__name__} {value!r}")
    return None if value < 0 else value


def _sum(*values):
    return None if any(v is None for v in values) else sum(values)


def version_text(value) -> str | None:
    """The tool version whichever shape the service used: "10.0.0", {major, minor, micro} or a list."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return ".".join(str(value[k]) for k in ("major", "minor", "micro") if k in value) or str(value)
    if isinstance(value, (list, tuple)):
        return ".".join(str(v) for v in value)
    return str(value)


def board_names(boards) -> list[str]:
    """Names from ``get_benchmark_boards()`` (a list of ``BoardData``)."""
    if not isinstance(boards, (list, tuple)):
        raise ReplyShapeError(f"get_benchmark_boards() returned {type(boards).__name__}, expected a list")
    names = [_field(board, "name") for board in boards]
    if not all(isinstance(name, str) for name in names):
        raise ReplyShapeError(f"board names should be strings, got {names!r}")
    return names


def board_details(board) -> dict:
    return {key: getattr(board, key, None) for key in ("name", "boardCount", "flashSize", "deviceCpu", "deviceId")}


def _footprint(weights, library_flash, activations, io, library_ram, rom_total, ram_total) -> dict:
    return {
        "weights_flash_bytes": weights, "library_flash_bytes": library_flash,
        "total_flash_bytes": _sum(weights, library_flash) if library_flash is not None else rom_total,
        "activations_ram_bytes": activations, "io_ram_bytes": io, "library_ram_bytes": library_ram,
        "total_ram_bytes": _sum(activations, io or 0, library_ram) if library_ram is not None else ram_total,
    }


def analyze_figures(result) -> dict:
    """From ``AnalyzeResult`` (rom_size there already includes the library; ram_size the io and library)."""
    figures = _footprint(_count(result, "weights"), _count(result, "estimated_library_flash_size", False),
                         _count(result, "activations_size"), _count(result, "total_ram_io_size", False),
                         _count(result, "estimated_library_ram_size", False),
                         _count(result, "rom_size", False), _count(result, "ram_size", False))
    figures["macc"] = _count(result, "macc")
    figures.update(_provenance(result))
    return figures


def benchmark_figures(result) -> dict:
    """From ``BenchmarkResult`` (rom_size there is the weights, ram_size the activations)."""
    figures = _footprint(_count(result, "rom_size"), _count(result, "estimated_library_flash_size", False),
                         _count(result, "ram_size"), _count(result, "total_ram_io_size", False),
                         _count(result, "estimated_library_ram_size", False), None, None)
    figures.update(macc=_count(result, "macc"), cycles=_count(result, "cycles"),
                   duration_ms=_count(result, "duration_ms"), cycles_per_macc=_count(result, "cycles_by_macc", False),
                   device=_field(result, "device", False))
    figures["validation"] = validation_figures(result)
    figures.update(_provenance(result))
    return figures


def _provenance(result) -> dict:
    return {"tool_version": version_text(_field(result, "cli_version_str", False)),
            "date_time": _field(result, "date_time", False)}


def validation_figures(result) -> dict:
    """ST's validation metrics (its cloud validates on random inputs unless given a data set)."""
    metrics = _field(result, "validation_metrics", False) or []
    if not isinstance(metrics, (list, tuple)):
        raise ReplyShapeError(f"validation_metrics should be a list, got {type(metrics).__name__}")
    rows = [{name: getattr(metric, name, None) for name in VALIDATION_FIELDS} for metric in metrics]
    for row in rows:
        row["accuracy_fraction"] = accuracy_fraction(row["accuracy"])
    return {"metrics": rows, "error": _field(result, "validation_error", False),
            "error_description": _field(result, "validation_error_description", False)}


def accuracy_fraction(text) -> float | None:
    """"97.50%" -> 0.975; ST writes "n.a." when no labels were given."""
    if isinstance(text, numbers.Real) and not isinstance(text, bool):
        return float(text) / 100 if text > 1 else float(text)
    match = re.fullmatch(r"\s*([0-9.]+)\s*%\s*", str(text or ""))
    return float(match.group(1)) / 100 if match else None


def missing_figures(figures: dict, names=("cycles", "duration_ms", "total_flash_bytes", "total_ram_bytes")) -> list:
    return [name for name in names if name in figures and figures[name] is None]
