"""The label shown ON THE DEVICE against the host's replay of the same pipeline (``tofhil.postprocessing``) over
the device's own int8 outputs, frame by frame, in the order the device's filter stepped them (each record's
session and ``step``). A mismatch is a firmware defect, reported like an output mismatch and gated by
``min_shown_agreement``.

The replay covers the frames the device saw: in tensor mode a frame the host's filter rejected is never sent,
so neither filter steps on it (the report's ``shown`` section, over the whole recording, counts it as a
no-posture decision; raw mode sends every frame, so there the two sequences are the same).
"""
from __future__ import annotations

import numpy as np

from hil.report.records import ValidationData
from tofhil.postprocessing import LabelFilter, decide, int8_threshold
from tofhil.shown_metrics import rate

SHOWN_MISMATCHES_KEPT = 20


def shown_agreement_section(data: ValidationData) -> dict | None:
    """``{count, total, rate, ci95, mismatches: [...], sessions}`` over the frames whose record carries the device's label; None
    when none does (a firmware without the decision pipeline, or a log from before it)."""
    results = [r for r in data.results if r.shown is not None]
    if not results:
        return None
    meta, spec = data.meta, data.references.postprocessing
    classes = len(meta.class_names)
    fallback = spec.fallback_index(meta.class_names)
    threshold = int8_threshold(spec.threshold, meta.output_scale, meta.output_zero_point)
    by_session: dict[str, list] = {}
    for result in results:
        by_session.setdefault(result.session or "-", []).append(result)
    agree, total, mismatches = 0, 0, []
    for name, members in by_session.items():
        members.sort(key=lambda r: (r.step if r.step is not None else -1, r.index))
        outputs = np.array([r.output if r.output is not None else (0,) * classes for r in members], np.int8)
        valid = np.array([r.status == "ok" for r in members], bool)
        decisions = decide(outputs.reshape(len(members), classes), valid, threshold, fallback)
        label_filter = LabelFilter(spec.filter_length, spec.keep_last_valid, fallback)
        for result, decision in zip(members, decisions.tolist()):
            host = label_filter.step(decision)
            total += 1
            if host == result.shown:
                agree += 1
            elif len(mismatches) < SHOWN_MISMATCHES_KEPT:
                mismatches.append({"index": result.index, "session": name, "step": result.step,
                                   "file": result.file, "frame": result.frame, "device_shown": result.shown,
                                   "host_shown": host, "device_output": list(result.output or ())})
    return {**rate(agree, total), "mismatches": mismatches, "sessions": len(by_session)}
