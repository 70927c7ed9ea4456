"""The operating point from data (``hil run --sweep-threshold``): what the user would see for a grid of
thresholds and filter lengths, replayed over the one stream's device outputs (no board time: the outputs do
not depend on the pipeline after the model). Each threshold is compared in the int8 domain, as on the device.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from tabulate import tabulate

from hil.report.records import ValidationData
from hil.report.report_type import SweepSection
from hil.report.shown import device_outputs, device_sequence
from tofhil.postprocessing import decide, int8_threshold, replay

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99)
FILTER_LENGTHS = (0, 1, 2, 3, 4, 5)


def sweep_section(data: ValidationData, thresholds=THRESHOLDS, lengths=FILTER_LENGTHS) -> dict | None:
    made = device_sequence(data)
    if made is None:
        return None
    sequence, rows = made
    outputs = device_outputs(data, rows)
    spec = data.references.postprocessing
    fallback = spec.fallback_index(data.meta.class_names)
    scored = sequence.scored
    posture = scored & (sequence.labels != fallback)
    points = []
    for threshold in thresholds:
        q = int8_threshold(threshold, data.meta.output_scale, data.meta.output_zero_point)
        decisions = decide(outputs, scored, q, fallback)
        for length in lengths:
            shown = replay(decisions, sequence.sessions, dataclasses.replace(spec, filter_length=length), fallback)
            points.append({"threshold": threshold, "filter_length": length,
                           "shown_accuracy": _share(shown[scored] == sequence.labels[scored]),
                           "no_posture": _share(shown[posture] == fallback),
                           "label_changes": int(np.sum((shown[1:] != shown[:-1])
                                                       & (sequence.sessions[1:] == sequence.sessions[:-1])))})
    per_frame = _share(sequence.per_frame[scored] == sequence.labels[scored])
    return {"per_frame_accuracy": per_frame, "keep_last_valid": spec.keep_last_valid, "points": points}


def sweep_text(section: SweepSection | None) -> str:
    if not section:
        return "threshold sweep: not available (the model has no class scores)"
    lengths = sorted({p.filter_length for p in section.points})
    by_threshold = {}
    for point in section.points:
        by_threshold.setdefault(point.threshold, {})[point.filter_length] = point
    rows = [[f"{threshold:g}", *(f"{_pct(cells[n].shown_accuracy)} / {_pct(cells[n].no_posture)}"
                                 for n in lengths)] for threshold, cells in by_threshold.items()]
    head = (f"threshold sweep (shown accuracy / 'no posture' on frames holding a posture; per-frame accuracy "
            f"{_pct(section.per_frame_accuracy)}; keep last valid {str(section.keep_last_valid).lower()}; "
            f"one stream replayed, hil_report.json 'sweep')")
    return head + "\n" + tabulate(rows, headers=["threshold", *(f"filter {n}" for n in lengths)],
                                  disable_numparse=True)


def _share(hits: np.ndarray) -> float | None:
    return float(np.mean(hits)) if len(hits) else None


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"
