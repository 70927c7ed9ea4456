"""The report's ``shown`` section: the run's decision pipeline (``postprocessing``) replayed over the device's
int8 outputs, in recording order, session by session (:mod:`tofhil.shown_metrics`).

The sequence is the whole test set: a frame the device's filter rejected (raw mode), or that tensor mode never
streamed because the host's filter rejected it, decides the no-posture class, as in ST's application; a frame
with no result yet (an interrupted run) is left out. The threshold is compared in the output's int8 domain,
which :func:`tofhil.postprocessing.int8_threshold` proves equal to the float comparison for every int8 value.
"""
from __future__ import annotations

import numpy as np

from hil.report.records import ValidationData
from tofhil.postprocessing import decide, int8_threshold
from tofhil.shown_metrics import Sequence, recording_order, shown_section


def device_sequence(data: ValidationData) -> tuple[Sequence, np.ndarray] | None:
    """The sequence of decisions over the device's outputs and the test-set index of each of its rows."""
    refs, meta = data.references, data.meta
    classes = len(meta.class_names)
    if refs.host_int8.shape[1] != classes:  # a single sigmoid output: ST's pipeline takes class scores
        return None
    spec = refs.postprocessing
    fallback = spec.fallback_index(meta.class_names)
    threshold = int8_threshold(spec.threshold, meta.output_scale, meta.output_zero_point)
    count = refs.frames
    outputs = np.zeros((count, classes), np.int8)
    ok = np.zeros(count, bool)
    present = ~refs.host_kept if meta.mode == "tensor" else np.zeros(count, bool)  # never streamed
    sessions = refs.sessions.astype(object) if refs.sessions is not None else np.full(count, None, object)
    for result in data.results:
        present[result.index] = True
        if refs.sessions is None:
            sessions[result.index] = result.session or "-"
        if result.status == "ok":
            ok[result.index] = True
            outputs[result.index] = result.output
    present &= np.array([s is not None for s in sessions], bool)
    rows = np.flatnonzero(present)
    times = refs.times_s if refs.times_s is not None else np.full(count, np.nan)
    rows = rows[recording_order(sessions[rows].astype(str), times[rows])]
    out = outputs[rows]
    per_frame = np.where(ok[rows], np.argmax(out, axis=1), -1)
    sequence = Sequence(refs.labels[rows], sessions[rows].astype(str), times[rows],
                        decide(out, ok[rows], threshold, fallback), per_frame, ok[rows],
                        ok[rows] & (out.max(axis=1, initial=-128) > threshold))
    return sequence, rows


def device_outputs(data: ValidationData, rows: np.ndarray) -> np.ndarray:
    """The device's int8 outputs of the sequence's rows (zeros where rejected or not streamed)."""
    outputs = np.zeros((data.references.frames, len(data.meta.class_names)), np.int8)
    for result in data.results:
        if result.status == "ok":
            outputs[result.index] = result.output
    return outputs[rows]


def shown_report(data: ValidationData) -> tuple[dict | None, np.ndarray | None, np.ndarray | None]:
    """(section, shown label per row, test-set index per row); (None, None, None) for a sigmoid model."""
    made = device_sequence(data)
    if made is None:
        return None, None, None
    sequence, rows = made
    spec = data.references.postprocessing
    section, shown = shown_section(sequence, spec, spec.fallback_index(data.meta.class_names), data.meta.class_names)
    section["threshold_int8"] = int8_threshold(spec.threshold, data.meta.output_scale, data.meta.output_zero_point)
    section["subsampled"] = "evenly spaced" in str(data.meta.raw.get("split", ""))
    return section, shown, rows
