"""Every figure of a comparison of two HIL output folders, as one JSON-ready dict: ``compare_folders(a, b)``.

Frames are paired by recording (:mod:`hil.compare.pairs`). "Outputs equal" means the same status and, where both
boards classified the frame, the same int8 output vector: the bit-exact claim the harness makes about a board.
Accuracies are over the paired frames each board classified, with Wilson intervals; McNemar's test is over the
frames both classified. Latency is over the frames both classified, in each board's own unit (the ratio B / A is
of numbers, and says so when the units differ). Each folder's own ``hil_report.json`` (schema 1 or 2, read by
:func:`hil.report.report_file.read_report`) adds what that run judged on all its frames: split, accuracy, gates.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hil.compare.mcnemar import mcnemar_exact
from hil.compare.pairs import PairedFrames, pair_frames
from hil.report.metrics import accuracy_entry
from hil.report.per_layer import load_per_layer
from hil.report.records import ValidationData, load_validation
from hil.report.report_file import REPORT_FILE, read_report
from hil.report.timing import PERCENTILES, UNITS, convert_ticks, summary_stats

COMPARISON_SCHEMA = 1
RATIO_KEYS = ("mean", *(f"p{q}" for q in PERCENTILES))


def compare_folders(out_a, out_b, list_limit: int = 100) -> dict:
    data_a, data_b = load_validation(out_a), load_validation(out_b)
    pairs = pair_frames(data_a, data_b)
    return {"schema": COMPARISON_SCHEMA, "a": str(data_a.out_dir), "b": str(data_b.out_dir),
            "boards": [data_a.meta.board, data_b.meta.board],
            "frames": {"a": len(data_a.results), "b": len(data_b.results), "both": pairs.count},
            "outputs": outputs_section(data_a, data_b, pairs, list_limit),
            "accuracy": accuracy_section(pairs),
            "latency": latency_section(data_a, data_b, pairs),
            "firmware": [firmware_entry(data_a), firmware_entry(data_b)],
            "reports": [report_entry(data_a.out_dir), report_entry(data_b.out_dir)],
            "meta_differences": meta_differences(data_a.meta.raw, data_b.meta.raw)}


def outputs_section(data_a: ValidationData, data_b: ValidationData, pairs: PairedFrames, limit: int) -> dict:
    equal = pairs.outputs_equal()
    layers = (load_per_layer(data_a.out_dir), load_per_layer(data_b.out_dir))
    rows = [_differing_row(pairs, i, layers) for i in np.flatnonzero(~equal)]
    return {"compared": pairs.count, "equal": int(equal.sum()), "share_equal": float(equal.mean()),
            "differing_count": len(rows), "differing": rows[:limit],
            "per_layer": {"a": layers[0] is not None, "b": layers[1] is not None}}


def _differing_row(pairs: PairedFrames, i: int, layers) -> dict:
    row_a, row_b = int(pairs.rows_a[i]), int(pairs.rows_b[i])
    result_a, result_b = pairs.a.results[row_a], pairs.b.results[row_b]
    out_a, out_b = result_a.output, result_b.output
    diff = (int(np.max(np.abs(np.subtract(out_a, out_b, dtype=np.int16)))) if out_a and out_b else None)
    return {"file": result_a.file, "frame": result_a.frame, "index_a": result_a.index, "index_b": result_b.index,
            "status_a": result_a.status, "status_b": result_b.status,
            "output_a": list(out_a) if out_a else None, "output_b": list(out_b) if out_b else None,
            "max_abs_diff": diff, "first_layer": first_differing_layer(layers, result_a.index, result_b.index)}


def first_differing_layer(layers, index_a: int, index_b: int) -> dict | None:
    """The first op whose device tensor differs between the two boards on this frame, when both folders hold
    per-layer data for it (``--per-layer``); ``{"layer": None}`` when every layer is equal (the per-layer pass
    runs on the host's input tensor, so a raw-mode preprocessing difference is not seen there)."""
    arrays_a, arrays_b = layers
    if arrays_a is None or arrays_b is None:
        return None
    row_a = np.flatnonzero(arrays_a["frames"] == index_a)
    row_b = np.flatnonzero(arrays_b["frames"] == index_b)
    if not row_a.size or not row_b.size:
        return None
    count = min(len(arrays_a["layer_names"]), len(arrays_b["layer_names"]))
    for layer in range(count):
        device_a = arrays_a[f"device_{layer}"][row_a[0]].astype(np.int16)
        device_b = arrays_b[f"device_{layer}"][row_b[0]].astype(np.int16)
        if device_a.shape != device_b.shape or np.any(device_a != device_b):
            same_shape = device_a.shape == device_b.shape
            return {"layer": layer, "opcode": str(arrays_a["layer_opcodes"][layer]),
                    "max_abs_diff": int(np.max(np.abs(device_a - device_b))) if same_shape else None}
    return {"layer": None, "opcode": None, "max_abs_diff": 0}


def accuracy_section(pairs: PairedFrames) -> dict:
    labels = pairs.labels()
    right_a = pairs.a.device_class[pairs.rows_a] == labels
    right_b = pairs.b.device_class[pairs.rows_b] == labels
    ok_a, ok_b, both = pairs.a.device_ok[pairs.rows_a], pairs.b.device_ok[pairs.rows_b], pairs.both_ok()
    only_a, only_b = int(np.sum(right_a & ~right_b & both)), int(np.sum(right_b & ~right_a & both))
    split = "frames in both folders"
    return {"a": accuracy_entry(np.sum(right_a & ok_a), ok_a.sum(), split),
            "b": accuracy_entry(np.sum(right_b & ok_b), ok_b.sum(), split),
            "mcnemar": {"frames": int(both.sum()), "only_a_right": only_a, "only_b_right": only_b,
                        "p_value": mcnemar_exact(only_a, only_b), "method": "exact binomial, two-sided"}}


def _latency(data: ValidationData, frames, rows) -> dict | None:
    ticks = [frames.results[r].infer_ticks for r in rows if frames.results[r].infer_ticks is not None]
    if not ticks:
        return None
    unit, label = UNITS[data.meta.timer_kind]
    return {"unit": unit, "label": label, "stats": summary_stats(convert_ticks(ticks, data.meta)[0])}


def latency_section(data_a: ValidationData, data_b: ValidationData, pairs: PairedFrames) -> dict:
    both = pairs.both_ok()
    a = _latency(data_a, pairs.a, pairs.rows_a[both])
    b = _latency(data_b, pairs.b, pairs.rows_b[both])
    ratios = None
    if a and b:
        ratios = {key: (b["stats"][key] / a["stats"][key] if a["stats"][key] else None) for key in RATIO_KEYS}
    same_unit = bool(a and b and a["unit"] == b["unit"])
    note = None
    if a and b and not same_unit:
        note = f"B is in {b['label']}, A in {a['label']}: the ratio divides numbers of different units"
    return {"a": a, "b": b, "same_unit": same_unit, "ratio_b_over_a": ratios, "note": note}


def firmware_entry(data: ValidationData) -> dict:
    meta = data.meta
    firmware, hello = meta.firmware, meta.raw.get("hello") if isinstance(meta.raw.get("hello"), dict) else {}
    return {"board": meta.board, "board_kind": meta.board_kind, "mode": meta.mode,
            "firmware_sha256": firmware.get("sha256"), "build_flags": firmware.get("build_flags"),
            "model_sha256": meta.model_sha256, "firmware_version": hello.get("firmware_version"),
            "flash_bytes": firmware.get("flash_bytes"), "ram_bytes": firmware.get("ram_bytes")}


def report_entry(out_dir) -> dict | None:
    """What the folder's own report says over all its frames; None for a folder without one (an interrupted
    run). A report of a schema this code does not read stops the comparison with one line naming it."""
    path = Path(out_dir) / REPORT_FILE
    if not path.is_file():
        return None
    report = read_report(path)
    device, gates = report.accuracy.device, report.gates or []
    return {"path": str(path), "schema": report.schema, "split": report.split, "device_accuracy": device.accuracy,
            "ci95": device.ci95, "frames": device.total,
            "gates_judged": sum(1 for g in gates if g.status in ("pass", "fail")),
            "gates_failed": [g.name for g in gates if g.status == "fail"]}


def _flatten(value, prefix: str = "") -> dict:
    if isinstance(value, dict) and value:
        flat = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def meta_differences(meta_a: dict, meta_b: dict) -> list[dict]:
    """Every ``run_meta.json`` key (nested keys dotted) whose value differs, or that only one folder has."""
    flat_a, flat_b = _flatten(meta_a), _flatten(meta_b)
    missing = object()
    rows = []
    for key in sorted(set(flat_a) | set(flat_b)):
        value_a, value_b = flat_a.get(key, missing), flat_b.get(key, missing)
        if json.dumps(value_a, default=str) != json.dumps(value_b, default=str):
            rows.append({"key": key, "a": None if value_a is missing else value_a,
                         "b": None if value_b is missing else value_b,
                         "only_in": "a" if value_b is missing else "b" if value_a is missing else None})
    return rows
