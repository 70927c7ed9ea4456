"""What the user sees, as JSON-ready figures: the decision pipeline (:mod:`tofhil.postprocessing`) replayed over
per-frame decisions in recording order, session by session, next to the per-frame figures.

Which frames count where: accuracies and the no-posture rate over the *scored* frames (those the per-frame
accuracy counts: classified by the model); the sequence (the filter, time to the right label, label changes)
runs over every frame of a session, a frame the distance filter rejected deciding the no-posture class.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tofhil.metrics import wilson_interval
from tofhil.postprocessing import NO_POSTURE, Postprocessing, replay


@dataclass(frozen=True)
class Sequence:
    """Frames in recording order (sessions contiguous): see :func:`recording_order`."""

    labels: np.ndarray  # (n,) true class index
    sessions: np.ndarray  # (n,) session name
    times_s: np.ndarray  # (n,) seconds, NaN: unknown
    decisions: np.ndarray  # (n,) per-frame decision of the pipeline (fallback where rejected)
    per_frame: np.ndarray  # (n,) per-frame argmax, -1 where not classified
    scored: np.ndarray  # (n,) bool: classified, counted by the accuracies
    above: np.ndarray  # (n,) bool: top score above the threshold


def recording_order(sessions: np.ndarray, times_s: np.ndarray) -> np.ndarray:
    """Indices putting the frames in recording order: sessions in order of first appearance, each session's
    frames by time where every frame has one (else in the order given, which is file then frame)."""
    sessions = np.asarray(sessions).astype(str)
    times = np.asarray(times_s, np.float64)
    first = {}
    for i, name in enumerate(sessions.tolist()):
        first.setdefault(name, i)
    order = []
    for name in sorted(first, key=first.get):
        members = np.flatnonzero(sessions == name)
        if np.all(np.isfinite(times[members])):
            members = members[np.argsort(times[members], kind="stable")]
        order.append(members)
    return np.concatenate(order) if order else np.zeros(0, np.int64)


def shown_section(sequence: Sequence, spec: Postprocessing, fallback: int, class_names: list[str]) -> dict:
    shown = replay(sequence.decisions, sequence.sessions, spec, fallback)
    return {
        "postprocessing": {**vars(spec), "shown_when_nothing_passes": _name(fallback, class_names)},
        "frames": int(len(shown)), "scored": int(sequence.scored.sum()),
        **_figures(sequence, shown, fallback, np.ones(len(shown), bool)),
        "per_class": [{"class": name, **_figures(sequence, shown, fallback, sequence.labels == k)}
                      for k, name in enumerate(class_names) if np.any(sequence.labels == k)],
        "per_session": [{"session": str(name), "class": _majority(sequence.labels, members, class_names),
                         **_figures(sequence, shown, fallback, members)}
                        for name in dict.fromkeys(sequence.sessions.tolist())
                        for members in [sequence.sessions == name]],
    }, shown


def _figures(sequence: Sequence, shown: np.ndarray, fallback: int, members: np.ndarray) -> dict:
    scored = sequence.scored & members
    posture = scored & (sequence.labels != fallback)
    return {
        "per_frame_accuracy": rate(np.sum(sequence.per_frame[scored] == sequence.labels[scored]), scored.sum()),
        "shown_accuracy": rate(np.sum(shown[scored] == sequence.labels[scored]), scored.sum()),
        "no_posture": rate(np.sum(shown[posture] == fallback), posture.sum()),
        "above_threshold": rate(np.sum(sequence.above[scored]), scored.sum()),
        "time_to_label": _time_to_label(sequence, shown, members),
        "label_changes": _label_changes(sequence, shown, members),
    }


def rate(count, total) -> dict:
    interval = wilson_interval(int(count), int(total))
    return {"count": int(count), "total": int(total), "rate": float(count / total) if total else None,
            "ci95": list(interval) if interval else None}


def _segments(sequence: Sequence, members: np.ndarray):
    """(start, stop) of each run of one true label within one session, among ``members``."""
    index = np.flatnonzero(members)
    if not len(index):
        return
    start = 0
    for j in range(1, len(index) + 1):
        end = j == len(index)
        if end or sequence.sessions[index[j]] != sequence.sessions[index[start]] \
                or sequence.labels[index[j]] != sequence.labels[index[start]] or index[j] != index[j - 1] + 1:
            yield index[start], index[j - 1] + 1
            start = j


def _time_to_label(sequence: Sequence, shown: np.ndarray, members: np.ndarray) -> dict:
    """From a session start or a change of the true posture to the first frame showing it."""
    frames, millis, never = [], [], 0
    for start, stop in _segments(sequence, members):
        hits = np.flatnonzero(shown[start:stop] == sequence.labels[start])
        if not len(hits):
            never += 1
            continue
        frames.append(int(hits[0]))
        elapsed = sequence.times_s[start + hits[0]] - sequence.times_s[start]
        if np.isfinite(elapsed):
            millis.append(1000.0 * float(elapsed))
    return {"segments": len(frames) + never, "never": never, "frames": _stats(frames), "ms": _stats(millis)}


def _label_changes(sequence: Sequence, shown: np.ndarray, members: np.ndarray) -> dict:
    """Changes of the shown label between neighbouring frames of a session (flicker), per minute of recording."""
    changes, seconds, timed = 0, 0.0, True
    for name in dict.fromkeys(sequence.sessions[members].tolist()):
        index = np.flatnonzero(members & (sequence.sessions == name))
        changes += int(np.sum(shown[index][1:] != shown[index][:-1]))
        span = sequence.times_s[index[-1]] - sequence.times_s[index[0]]
        timed &= bool(np.isfinite(span))
        seconds += float(span) if np.isfinite(span) else 0.0
    per_minute = 60.0 * changes / seconds if timed and seconds > 0 else None
    return {"changes": changes, "minutes": seconds / 60.0 if timed else None, "per_minute": per_minute}


def _stats(values: list) -> dict | None:
    if not values:
        return None
    array = np.asarray(values, np.float64)
    return {"count": int(len(array)), "median": float(np.median(array)), "p90": float(np.percentile(array, 90)),
            "max": float(array.max())}


def _name(index: int, class_names: list[str]) -> str:
    return "no posture (-1)" if index == NO_POSTURE else class_names[index]


def _majority(labels: np.ndarray, members: np.ndarray, class_names: list[str]) -> str:
    values = labels[members]
    return class_names[int(np.bincount(values).argmax())] if len(values) else "-"
