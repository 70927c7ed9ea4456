"""Reading one ST session file (``data_*.npz``) into raw integer frames and labels.

The file is validated before anything is trusted: every expected key, dtype and
shape, the zone-row names, whole-number values that fit the wire types. Errors
name the file and the problem. ``allow_pickle`` stays False: an ``.npz`` that
needs pickle is rejected, not executed.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.data.npz_guard import check_npz
from training.data.preprocess import ZONES, RawFrames
from training.errors import DatasetError

ZONE_ROWS = ("target_status", "valid", "signal_per_spad", "distance_mm")
LABEL_ROW = ".GestureGT"
REQUIRED_KEYS = ("zone_data", "zone_head", "glob_data", "glob_head")


@dataclass(frozen=True)
class SessionFile:
    """Frames of one ``.npz`` file: raw integers, labels, and how many NaN frames were dropped."""

    path: Path
    frames: RawFrames
    labels: np.ndarray  # (N,) int32 ST dictionary ids
    nan_frames_dropped: int
    times_s: np.ndarray | None = None  # (N,) seconds of each kept frame (start/end stamps); None without stamps


def read_session_file(path: Path) -> SessionFile:
    check_npz(path)  # file type, size and declared array sizes, before numpy allocates anything
    try:
        with np.load(path, allow_pickle=False) as archive:
            contents = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DatasetError(f"{path}: cannot read as an .npz archive ({exc}); the file is truncated or corrupt") from exc
    return _parse(path, contents)


def _parse(path: Path, contents: dict[str, np.ndarray]) -> SessionFile:
    missing = [key for key in REQUIRED_KEYS if key not in contents]
    if missing:
        raise DatasetError(f"{path}: missing key(s) {missing}; an ST session file holds {list(REQUIRED_KEYS)}")
    zone_data, glob_data = contents["zone_data"], contents["glob_data"]
    zone_head = [str(x) for x in np.asarray(contents["zone_head"]).ravel()]
    glob_head = [str(x) for x in np.asarray(contents["glob_head"]).ravel()]
    _check_numeric(path, "zone_data", zone_data, ndim=3)
    _check_numeric(path, "glob_data", glob_data, ndim=2)
    if zone_data.shape[0] != len(zone_head) or zone_data.shape[1] != ZONES:
        raise DatasetError(f"{path}: zone_data has shape {zone_data.shape}; expected ({len(zone_head)}, 64, T)")
    for row in ZONE_ROWS:
        if row not in zone_head:
            raise DatasetError(f"{path}: zone_head {zone_head} has no row {row!r}")
    if LABEL_ROW not in glob_head or glob_data.shape[0] != len(glob_head):
        raise DatasetError(f"{path}: glob_head {glob_head} / glob_data {glob_data.shape} carry no {LABEL_ROW!r} row")
    frames_count = zone_data.shape[2]
    if glob_data.shape[1] != frames_count:
        raise DatasetError(f"{path}: {frames_count} frames in zone_data but {glob_data.shape[1]} labels in glob_data")
    labels = glob_data[glob_head.index(LABEL_ROW)]
    rows = {name: zone_data[zone_head.index(name)].T for name in ZONE_ROWS}  # each (T, 64)
    finite = np.isfinite(labels) & np.all([np.isfinite(rows[n]).all(axis=1) for n in ZONE_ROWS], axis=0)
    frames = _to_raw_frames(path, {n: r[finite] for n, r in rows.items()})
    times = _frame_times(contents, frames_count)
    return SessionFile(path, frames, labels[finite].astype(np.int32), int((~finite).sum()),
                       None if times is None else times[finite])


def _frame_times(contents: dict[str, np.ndarray], count: int) -> np.ndarray | None:
    """Each frame's time: the file's frames evenly spread from ``start_tstmp`` to ``end_tstmp`` (seconds; about
    0.1 s apart in ST's recordings). Optional keys: a file without them (or with odd ones) has no times."""
    try:
        start, end = (float(np.asarray(contents[key]).reshape(())) for key in ("start_tstmp", "end_tstmp"))
    except (KeyError, ValueError, TypeError):
        return None
    if not (np.isfinite(start) and np.isfinite(end) and end >= start):
        return None
    step = (end - start) / (count - 1) if count > 1 else 0.0
    return start + step * np.arange(count, dtype=np.float64)


def _check_numeric(path: Path, key: str, array: np.ndarray, ndim: int) -> None:
    if array.dtype.kind not in "fiu":
        raise DatasetError(f"{path}: {key} has dtype {array.dtype}; expected a numeric array (float64 in ST files)")
    if array.ndim != ndim:
        raise DatasetError(f"{path}: {key} has {array.ndim} dimensions {array.shape}; expected {ndim}")


def _to_raw_frames(path: Path, rows: dict[str, np.ndarray]) -> RawFrames:
    limits = {"distance_mm": np.int16, "signal_per_spad": np.uint16, "target_status": np.uint8}
    converted = {}
    for name, dtype in limits.items():
        values = rows[name]
        info = np.iinfo(dtype)
        if values.size and (np.any(values != np.round(values)) or values.min() < info.min or values.max() > info.max):
            raise DatasetError(f"{path}: {name} holds values outside whole numbers in [{info.min}, {info.max}]")
        converted[name] = values.astype(dtype)
    return RawFrames(converted["distance_mm"], converted["signal_per_spad"], converted["target_status"])
