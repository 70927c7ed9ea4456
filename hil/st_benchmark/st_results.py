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


def _library(total, *parts):
    """What a total holds beyond its parts (the runtime library); None when any figure is missing."""
    return None if total is None or any(p is None for p in parts) else total - sum(parts)


def _footprint(weights, activations, io, total_flash, total_ram, library_flash=None, library_ram=None) -> dict:
    if library_flash is None:
        library_flash = _library(total_flash, weights)
    if library_ram is None:
        library_ram = _library(total_ram, activations, io or 0)
    return {"weights_flash_bytes": weights, "library_flash_bytes": library_flash, "total_flash_bytes": total_flash,
            "activations_ram_bytes": activations, "io_ram_bytes": io, "library_ram_bytes": library_ram,
            "total_ram_bytes": total_ram}


def node_macc(result) -> int | None:
    """MACC summed over the nodes of the tool's c-info report (``info.graphs[0].nodes``), as the newer client
    and ``stedgeai`` report it; None when the reply carries no such report."""
    info = _field(result, "info", False)
    try:
        nodes = info["graphs"][0]["nodes"]
        values = [node["macc"] for node in nodes]
    except (KeyError, IndexError, TypeError):
        return None
    if not values or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        return None
    return int(sum(values))


def _macc(result) -> int | None:
    """The nodes' sum, else the client's figure; None ("unknown") for the 0 the older client writes when the
    reply has no legacy graph, or for -1."""
    summed = node_macc(result)
    if summed is not None:
        return summed
    value = _count(result, "macc")
    return value if value else None


def analyze_figures(result) -> dict:
    """From ``AnalyzeResult``. Both clients add weights + kernel + toolchain flash into ``rom_size`` and
    activations + I/O + kernel + toolchain RAM into ``ram_size``, while ``estimated_library_*`` is the kernel
    only; so the totals are ``rom_size``/``ram_size`` and the library is what they hold beyond the model. The
    client writes -1 into ``estimated_library_flash_size`` when the reply has no library figure: then the totals
    are the model's alone and are not reported."""
    library_reported = _count(result, "estimated_library_flash_size", False) is not None
    total_flash = _count(result, "rom_size") if library_reported else None
    total_ram = _count(result, "ram_size") if library_reported else None
    figures = _footprint(_count(result, "weights"), _count(result, "activations_size"),
                         _count(result, "total_ram_io_size", False), total_flash, total_ram)
    figures["macc"] = _macc(result)
    figures.update(_provenance(result))
    return figures


def benchmark_figures(result) -> dict:
    """From ``BenchmarkResult``, in either of the client's shapes (see docs/st-edge-ai.md):

    - newer (``weights`` and ``activations_size`` present): ``rom_size``/``ram_size`` are the totals, library
      included;
    - older: ``rom_size`` is the weights, ``ram_size`` the activations; the library is
      ``estimated_library_*`` (kernel + extra + toolchain) and the totals are the sums.

    The newer client fills ``rom_size``/``ram_size`` with totals only from the tool's c-info report; from a
    legacy reply without it (``info`` None) it still copies the report's weights and activations there, so
    such a result is read the older way.
    """
    io = _count(result, "total_ram_io_size", False)
    newer = hasattr(result, "weights") and hasattr(result, "activations_size")
    if newer and _field(result, "info", False) is not None:
        figures = _footprint(_count(result, "weights"), _count(result, "activations_size"), io,
                             _count(result, "rom_size"), _count(result, "ram_size"))
        figures["client_shape"] = "totals in rom_size/ram_size (client with weights/activations_size fields)"
    else:
        weights, activations = _count(result, "rom_size"), _count(result, "ram_size")
        library_flash = _count(result, "estimated_library_flash_size", False)
        library_ram = _count(result, "estimated_library_ram_size", False)
        figures = _footprint(weights, activations, io, _sum(weights, library_flash),
                             _sum(activations, io or 0, library_ram), library_flash, library_ram)
        figures["client_shape"] = "weights in rom_size, activations in ram_size (older client)"
    figures.update(macc=_macc(result), cycles=_count(result, "cycles"),
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
