"""Checks of one ``results.jsonl`` record against the host references (shapes, int8 ranges, labels)."""
from __future__ import annotations

from typing import Protocol

import numpy as np

from hil.errors import HilError

STATUSES = ("ok", "rejected")


class References(Protocol):
    """What a record is checked against (:class:`hil.report.records.References` has it): declared here so the
    dependency runs one way, ``records -> frame_fields``."""

    labels: np.ndarray
    host_int8: np.ndarray
    host_input: np.ndarray

    @property
    def frames(self) -> int: ...


def frame_fields(record, where: str, references: References) -> dict:
    """The fields of :class:`~hil.report.records.FrameResult`, checked; ``where`` is "file:line"."""
    if not isinstance(record, dict):
        raise HilError(f"{where}: expected a JSON object per frame, got {type(record).__name__}")
    index = _int(record, "index", where)
    if not 0 <= index < references.frames:
        raise HilError(f"{where}: frame index {index} outside the {references.frames} frames of references.npz")
    status = record.get("status")
    if status not in STATUSES:
        raise HilError(f"{where}: key 'status' must be one of {list(STATUSES)}, got {status!r}")
    label = _int(record, "label", where)
    if label != references.labels[index]:
        raise HilError(f"{where}: label {label} of frame {index} differs from references.npz "
                       f"({int(references.labels[index])}): results and references are from different test sets")
    output = _int8_vector(record, "output", where, references.host_int8.shape[1], required=status == "ok")
    if status == "rejected" and output is not None:
        raise HilError(f"{where}: a rejected frame carries no output, got {len(output)} values")
    return dict(
        index=index, file=_text(record, "file", where), frame=_int(record, "frame", where),
        user=_text(record, "user", where, optional=True), session=_text(record, "session", where, optional=True),
        label=label, status=status, output=output,
        input=_int8_vector(record, "input", where, references.host_input.shape[1], required=False),
        infer_ticks=_int(record, "infer_ticks", where, optional=True),
        preprocess_ticks=_int(record, "preprocess_ticks", where, optional=True),
        attempts=_int(record, "attempts", where, optional=True) or 1,
        board=_text(record, "board", where, optional=True), shown=_shown(record, where),
        step=_int(record, "step", where, optional=True))


def _shown(record: dict, where: str) -> int | None:
    value = record.get("shown")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < -1:
        raise HilError(f"{where}: key 'shown' must be a class index or -1 (no posture), got {value!r}")
    return value


def _int(record: dict, key: str, where: str, optional: bool = False) -> int | None:
    value = record.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise HilError(f"{where}: key '{key}' must be a whole number >= 0, got {value!r}")
    return value


def _text(record: dict, key: str, where: str, optional: bool = False) -> str | None:
    value = record.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise HilError(f"{where}: key '{key}' must be a string, got {value!r}")
    return str(value)


def _int8_vector(record: dict, key: str, where: str, size: int, required: bool) -> tuple[int, ...] | None:
    value = record.get(key)
    if value is None and not required:
        return None
    if (not isinstance(value, list) or len(value) != size
            or not all(isinstance(v, int) and not isinstance(v, bool) and -128 <= v <= 127 for v in value)):
        shown = value if not isinstance(value, list) else f"a list of {len(value)}"
        raise HilError(f"{where}: key '{key}' must be a list of {size} int8 values (-128..127), got {shown}")
    return tuple(value)
