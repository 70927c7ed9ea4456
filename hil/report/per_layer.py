"""The per-layer section of the report (``--per-layer``): where the device first departs from BUILTIN_REF and
what each layer costs, like ``stedgeai validate``'s per-layer table.

From ``per_layer.npz`` (:mod:`hil.per_layer`): per layer, the share of compared frames whose tensor equals the
host's exactly, the share of differing elements and the largest absolute difference (int8 steps), its time
(mean and p95 in the board's unit, share of the summed layer times); and the first layer that differs (the
earliest op index that differs on any frame) with a small heat map of its differences when the tensor is an
image (H x W x C: the largest difference over the channels per pixel).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from tabulate import tabulate

from hil.report.records import RunMeta
from hil.report.report_type import PerLayerSection
from hil.report.timing import UNITS, convert_ticks
from tofhil.atomic import atomic_target
from tofhil.validation_inputs import read_arrays

PER_LAYER_FILE = "per_layer.npz"
PROFILE_FILE = "per_layer_profile.png"
HEAT_SHADES = " .:-=+*#%@"  # 0 (equal) .. the largest difference


def load_per_layer(out_dir) -> dict | None:
    path = Path(out_dir) / PER_LAYER_FILE
    return read_arrays(path) if path.is_file() else None


def _image_shape(shape: str) -> tuple[int, int, int] | None:
    dims = [int(d) for d in shape.split("x") if d]
    if len(dims) == 3:
        return dims[0], dims[1], dims[2]
    if len(dims) == 2:
        return dims[0], dims[1], 1
    return None


def _layer_row(i: int, arrays: dict, meta: RunMeta) -> tuple[dict, np.ndarray]:
    device = arrays[f"device_{i}"].astype(np.float64)
    host = arrays[f"host_{i}"].astype(np.float64)
    diff = np.abs(device - host).reshape(len(device), int(np.prod(host.shape[1:])))
    frames = len(device)
    values, _ = convert_ticks(arrays["ticks"][:, i], meta)
    row = {"layer": i, "opcode": str(arrays["layer_opcodes"][i]), "name": str(arrays["layer_names"][i]),
           "shape": str(arrays["layer_shapes"][i]), "frames": frames,
           "exact_frames": int((diff.max(axis=1, initial=0) == 0).sum()),
           "exact_rate": float((diff.max(axis=1, initial=0) == 0).mean()) if frames else None,
           "elements_differing_share": float((diff > 0).mean()) if diff.size else 0.0,
           "max_abs_diff": float(diff.max(initial=0)),
           "time_mean": float(values.mean()) if frames else None,
           "time_p95": float(np.percentile(values, 95)) if frames else None}
    return row, diff


def _heat_map(diff_row: np.ndarray, shape: str) -> list[list[int]] | None:
    image = _image_shape(shape)
    if image is None:
        return None
    return diff_row.reshape(image).max(axis=2).astype(int).tolist()


def _first_difference(rows: list[dict], diffs: list[np.ndarray], arrays: dict) -> dict | None:
    frames = len(arrays["frames"])
    first = np.full(frames, -1)
    for i in reversed(range(len(rows))):
        first[diffs[i].max(axis=1, initial=0) > 0] = i
    differing = first[first >= 0]
    if differing.size == 0:
        return None
    layer = int(differing.min())
    members = np.flatnonzero(first == layer)
    diff = diffs[layer][members]
    worst = int(members[int(diff.max(axis=1).argmax())])
    row = rows[layer]
    return {"layer": layer, "opcode": row["opcode"], "name": row["name"], "shape": row["shape"],
            "frames_first_here": int(members.size), "frames_differing": int(differing.size),
            "max_abs_diff": float(diff.max()), "elements_differing_share": float((diff > 0).mean()),
            "example_frame": int(arrays["frames"][worst]),
            "heat_map": _heat_map(diffs[layer][worst], row["shape"])}


def per_layer_section(arrays: dict | None, meta: RunMeta) -> dict | None:
    if arrays is None:
        return None
    count = len(arrays["layer_names"])
    pairs = [_layer_row(i, arrays, meta) for i in range(count)]
    rows, diffs = [p[0] for p in pairs], [p[1] for p in pairs]
    total = sum(r["time_mean"] or 0.0 for r in rows)
    for r in rows:
        r["time_share"] = (r["time_mean"] / total) if total and r["time_mean"] is not None else None
    unit, label = UNITS[meta.timer_kind]
    return {"frames": int(len(arrays["frames"])), "frame_indices": [int(f) for f in arrays["frames"][:1000]],
            "unit": unit, "unit_label": label, "layers": rows,
            "first_difference": _first_difference(rows, diffs, arrays), "all_layers_exact":
            all(r["exact_frames"] == r["frames"] for r in rows)}


def per_layer_text(section: PerLayerSection | None) -> str:
    """The summary's block: first differing layer (with its heat map), then the per-layer table."""
    if not section:
        return ""
    first = section.first_difference
    if first is None:
        lines = [f"per-layer comparison ({section.frames} frames, BUILTIN_REF intermediate tensors): "
                 "every layer equals the host's on every frame"]
    else:
        lines = [f"per-layer comparison ({section.frames} frames, BUILTIN_REF intermediate tensors): "
                 f"FIRST DIFFERING LAYER {first.layer} {first.opcode} ({first.name[:60]}), "
                 f"max abs diff {first.max_abs_diff:g}, {100 * first.elements_differing_share:.1f} % of its "
                 f"elements, first difference on {first.frames_first_here} of {section.frames} frames "
                 f"(example: frame {first.example_frame})"]
        if first.heat_map:
            lines.append(f"heat map of |device - host| at layer {first.layer} (max over channels; "
                         f"' ' = 0 .. '@' = {first.max_abs_diff:g}):")
            lines.extend("  |" + _shade_row(row, first.max_abs_diff) + "|" for row in first.heat_map)
    unit = section.unit
    table = [[r.layer, r.opcode, r.shape, f"{r.exact_frames}/{r.frames}",
              f"{100 * r.elements_differing_share:.2f} %", f"{r.max_abs_diff:g}",
              _num(r.time_mean), _num(r.time_p95),
              "-" if r.time_share is None else f"{100 * r.time_share:.1f} %"] for r in section.layers]
    headers = ["layer", "op", "shape", "exact frames", "elements differing", "max |diff|", f"mean ({unit})",
               f"p95 ({unit})", "share"]
    lines.append(tabulate(table, headers, disable_numparse=True))
    return "\n".join(lines)


def _shade_row(row: list[int], top: float) -> str:
    scale = (len(HEAT_SHADES) - 1) / top if top else 0.0
    return "".join(HEAT_SHADES[min(len(HEAT_SHADES) - 1, int(np.ceil(v * scale)))] for v in row)


def _num(value) -> str:
    return "-" if value is None else f"{value:,.1f}"


def plot_layer_profile(section: PerLayerSection, path: Path) -> Path:
    """Horizontal bars: mean time per layer with its p95 as a whisker; the first differing layer in red."""
    rows = section.layers
    figure = Figure(figsize=(7, 1.2 + 0.45 * len(rows)), layout="constrained")
    axes = figure.add_subplot()
    first = section.first_difference.layer if section.first_difference else None
    means = [r.time_mean or 0.0 for r in rows]
    whiskers = [max(0.0, (r.time_p95 or 0.0) - (r.time_mean or 0.0)) for r in rows]
    colours = ["tab:red" if r.layer == first else "tab:blue" for r in rows]
    labels = [f"{r.layer} {r.opcode}" for r in rows]
    axes.barh(labels, means, xerr=[np.zeros(len(rows)), whiskers], color=colours, alpha=0.85)
    for y, r in enumerate(rows):
        share = "" if r.time_share is None else f" {100 * r.time_share:.1f} %"
        axes.text(means[y], y, share, va="center", fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(f"mean per layer, {section.unit_label} (whisker: p95)")
    axes.set_title(f"per-layer profile ({section.frames} frames)", fontsize=10)
    axes.grid(True, axis="x", alpha=0.3)
    with atomic_target(path) as temporary:
        figure.savefig(temporary, dpi=100)
    return Path(path)
