"""Discovering and loading ST's session layout into one table of frames.

Layout: ``<root>/<Class>/log__<Class>__User<n>__<k>__.../npz/data_*.npz``. The class
folders select what is loaded; the label of each frame is its ``.GestureGT`` id.
Every frame keeps the session and user it came from, so that splits can keep
whole sessions (or users) apart.
"""
from __future__ import annotations

import hashlib
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training.data.classes import ST_CLASS_IDS, ordered_classes
from training.data.npz_guard import check_regular_file
from training.data.npz_reader import SessionFile, read_session_file
from training.data.preprocess import PreprocessingSpec, RawFrames, preprocess
from training.errors import DatasetError

_USER_PATTERN = re.compile(r"__(User[^_]+)__")


@dataclass(frozen=True)
class SessionInfo:
    name: str  # the log__... folder name, unique across the dataset
    class_folder: str
    user: str
    files: tuple[Path, ...]


@dataclass
class FrameTable:
    """Raw frames with their class index, session and user; before the distance filter."""

    class_names: list[str]  # model output order
    frames: RawFrames
    labels: np.ndarray  # (N,) class index into class_names
    sessions: np.ndarray  # (N,) str session name
    users: np.ndarray  # (N,) str user
    root: Path
    session_infos: list[SessionInfo] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    nan_frames_dropped: int = 0
    foreign_label_frames: int = 0
    # where each frame comes from, so a report can name it: file relative to root, index in that file
    files: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    frame_in_file: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    skipped_paths: list[Path] = field(default_factory=list)  # files not read (--skip-bad-files)
    empty_files: list[str] = field(default_factory=list)  # files without a single frame, relative to root
    # frames not loaded because their .GestureGT id is not a configured class: (file, ST id, frames)
    foreign_labels: list[tuple[str, int, int]] = field(default_factory=list)
    missing_classes: list[str] = field(default_factory=list)  # configured classes with no folder (test sets)
    times_s: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))  # recording time, NaN: unknown

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: np.ndarray) -> "FrameTable":
        return FrameTable(self.class_names, self.frames.subset(index), self.labels[index], self.sessions[index],
                          self.users[index], self.root, self.session_infos, self.skipped_files,
                          self.nan_frames_dropped, self.foreign_label_frames,
                          self.files[index] if len(self.files) else self.files,
                          self.frame_in_file[index] if len(self.frame_in_file) else self.frame_in_file,
                          self.skipped_paths, self.empty_files, self.foreign_labels, self.missing_classes,
                          self.times_s[index] if len(self.times_s) else self.times_s)


@dataclass
class PreparedSplit:
    """Model inputs of one split after the distance filter."""

    x: np.ndarray  # (K, 8, 8, 2) float32
    y: np.ndarray  # (K,) int32 class index
    sessions: np.ndarray
    users: np.ndarray
    raw: RawFrames


def user_of(session_name: str) -> str:
    match = _USER_PATTERN.search(session_name)
    return match.group(1) if match else "unknown"


def discover_sessions(root: Path, class_names: list[str], require_all_classes: bool = True) -> list[SessionInfo]:
    """Sessions of the configured classes. A test set may lack some classes (``require_all_classes=False``)."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist or is not a folder "
                           f"(set dataset.training_path or HANDPOSTURE_DATASET)")
    sessions = []
    for class_name in ordered_classes(class_names):
        class_dir = root / class_name
        if not class_dir.is_dir():
            if require_all_classes:
                raise DatasetError(f"{root}: no folder for class {class_name!r} (expected {class_dir})")
            continue
        for session_dir in _list_folder(class_dir, folders=True):
            files = tuple(_list_folder(session_dir / "npz", suffix=".npz")) if (session_dir / "npz").is_dir() else ()
            if files:
                sessions.append(SessionInfo(session_dir.name, class_name, user_of(session_dir.name), files))
    if not sessions:
        raise DatasetError(f"{root}: no session folders with npz/*.npz files for classes {class_names}")
    return sessions


def _list_folder(folder: Path, folders: bool = False, suffix: str = "") -> list[Path]:
    """Sorted entries; an unreadable folder is an error (``Path.glob`` would silently see it empty)."""
    try:
        with os.scandir(folder) as entries:
            found = [Path(e.path) for e in entries if (e.is_dir() if folders else e.name.endswith(suffix))]
    except OSError as exc:
        raise DatasetError(f"{folder}: cannot list the folder ({exc.strerror}); check its permissions") from exc
    return sorted(found)


def load_frame_table(root: Path, class_names: list[str], skip_bad_files: bool = False,
                     require_all_classes: bool = True) -> FrameTable:
    """Load every session of the configured classes. Corrupt files raise unless ``skip_bad_files``."""
    ordered = ordered_classes(class_names)
    index_of_id = {ST_CLASS_IDS[name]: i for i, name in enumerate(ordered)}
    sessions = discover_sessions(root, ordered, require_all_classes)
    parts, labels, session_col, user_col, skipped, skipped_paths = [], [], [], [], [], []
    file_col, frame_col, empty, foreign_labels, time_col = [], [], [], [], []
    nan_dropped = foreign = 0
    for info in sessions:
        for path in info.files:
            loaded = _read_or_skip(path, skip_bad_files, skipped)
            if loaded is None:
                skipped_paths.append(path)
                continue
            nan_dropped += loaded.nan_frames_dropped
            if len(loaded.labels) == 0:
                empty.append(_relative(path, root))
            known = np.isin(loaded.labels, list(index_of_id))
            foreign += int((~known).sum())
            foreign_labels += _foreign_labels(_relative(path, root), loaded.labels[~known])
            parts.append(loaded.frames.subset(known))
            labels.append(np.array([index_of_id[i] for i in loaded.labels[known]], dtype=np.int32))
            session_col.append(np.full(int(known.sum()), info.name, dtype=object))
            user_col.append(np.full(int(known.sum()), info.user, dtype=object))
            file_col.append(np.full(int(known.sum()), _relative(path, root), dtype=object))
            frame_col.append(np.flatnonzero(known).astype(np.int32))
            times = loaded.times_s if loaded.times_s is not None else np.full(len(known), np.nan)
            time_col.append(times[known])
    _warn_about_frames(root, empty, foreign_labels)
    return FrameTable(ordered, RawFrames.concatenate(parts),
                      np.concatenate(labels) if labels else np.zeros(0, np.int32),
                      np.concatenate(session_col) if session_col else np.zeros(0, object),
                      np.concatenate(user_col) if user_col else np.zeros(0, object),
                      Path(root), sessions, skipped, nan_dropped, foreign,
                      np.concatenate(file_col) if file_col else np.zeros(0, object),
                      np.concatenate(frame_col) if frame_col else np.zeros(0, np.int32),
                      skipped_paths, empty, foreign_labels,
                      [c for c in ordered if c not in {s.class_folder for s in sessions}],
                      np.concatenate(time_col) if time_col else np.zeros(0, np.float64))


def _warn_about_frames(root: Path, empty: list[str], foreign: list[tuple[str, int, int]], shown: int = 3) -> None:
    """One warning per kind, naming the first files: these frames are not in the table."""
    if empty:
        more = f" and {len(empty) - shown} more" if len(empty) > shown else ""
        warnings.warn(f"{root}: {len(empty)} file(s) hold no frame: {', '.join(empty[:shown])}{more}", stacklevel=3)
    if foreign:
        named = "; ".join(f"{f}: label {describe_label(i)} x {n}" for f, i, n in foreign[:shown])
        more = f"; and {len(foreign) - shown} more" if len(foreign) > shown else ""
        warnings.warn(f"{root}: frames whose .GestureGT label is not a configured class were not loaded: "
                      f"{named}{more} (python -m training info lists them all)", stacklevel=3)


def _foreign_labels(file: str, labels: np.ndarray) -> list[tuple[str, int, int]]:
    ids, counts = np.unique(labels, return_counts=True)
    return [(file, int(i), int(n)) for i, n in zip(ids, counts)]


def describe_label(st_id: int) -> str:
    names = [name for name, value in ST_CLASS_IDS.items() if value == st_id]
    return f"{st_id} ({names[0]})" if names else f"{st_id} (not in ST's class dictionary)"


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)


def _read_or_skip(path: Path, skip_bad_files: bool, skipped: list[str]) -> SessionFile | None:
    try:
        return read_session_file(path)
    except DatasetError as exc:
        if not skip_bad_files:
            raise DatasetError(f"{exc} (use --skip-bad-files to skip it with a warning)") from exc
        warnings.warn(f"skipped bad file: {exc}", stacklevel=2)
        skipped.append(str(exc))
        return None


def prepare(table: FrameTable, spec: PreprocessingSpec) -> PreparedSplit:
    x, kept = preprocess(table.frames, spec)
    return PreparedSplit(x, table.labels[kept], table.sessions[kept], table.users[kept], table.frames.subset(kept))


def dataset_fingerprint(sessions: list[SessionInfo], root: Path, skipped: list[Path] = ()) -> dict:
    """sha256 over every loaded file's relative path and bytes: which data a model saw.

    Files in ``skipped`` were not loaded and are not read here; the others are checked
    (regular, bounded size) and hashed in chunks.
    """
    digest = hashlib.sha256()
    count, excluded = 0, {Path(p) for p in skipped}
    for info in sessions:
        for path in info.files:
            if Path(path) in excluded:
                continue
            digest.update(_relative(path, root).encode())
            digest.update(_file_sha256(Path(path)))
            count += 1
    return {"sha256": digest.hexdigest(), "files": count, "sessions": len(sessions), "root": str(root)}


def _file_sha256(path: Path) -> bytes:
    check_regular_file(path)
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror})") from exc
    return digest.digest()
