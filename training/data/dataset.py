"""Discovering and loading ST's session layout into one table of frames.

Layout: ``<root>/<Class>/log__<Class>__User<n>__<k>__.../npz/data_*.npz``. The class
folders select what is loaded; the label of each frame is its ``.GestureGT`` id.
Every frame keeps the session and user it came from, so that splits can keep
whole sessions (or users) apart.
"""
from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training.data.classes import ST_CLASS_IDS, ordered_classes
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

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: np.ndarray) -> "FrameTable":
        return FrameTable(self.class_names, self.frames.subset(index), self.labels[index], self.sessions[index],
                          self.users[index], self.root, self.session_infos, self.skipped_files,
                          self.nan_frames_dropped, self.foreign_label_frames,
                          self.files[index] if len(self.files) else self.files,
                          self.frame_in_file[index] if len(self.frame_in_file) else self.frame_in_file)


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


def discover_sessions(root: Path, class_names: list[str]) -> list[SessionInfo]:
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist or is not a folder "
                           f"(set dataset.training_path or HANDPOSTURE_DATASET)")
    sessions = []
    for class_name in ordered_classes(class_names):
        class_dir = root / class_name
        if not class_dir.is_dir():
            raise DatasetError(f"{root}: no folder for class {class_name!r} (expected {class_dir})")
        for session_dir in sorted(p for p in class_dir.iterdir() if p.is_dir()):
            files = tuple(sorted((session_dir / "npz").glob("*.npz")))
            if files:
                sessions.append(SessionInfo(session_dir.name, class_name, user_of(session_dir.name), files))
    if not sessions:
        raise DatasetError(f"{root}: no session folders with npz/*.npz files for classes {class_names}")
    return sessions


def load_frame_table(root: Path, class_names: list[str], skip_bad_files: bool = False) -> FrameTable:
    """Load every session of the configured classes. Corrupt files raise unless ``skip_bad_files``."""
    ordered = ordered_classes(class_names)
    index_of_id = {ST_CLASS_IDS[name]: i for i, name in enumerate(ordered)}
    sessions = discover_sessions(root, ordered)
    parts, labels, session_col, user_col, skipped = [], [], [], [], []
    file_col, frame_col = [], []
    nan_dropped = foreign = 0
    for info in sessions:
        for path in info.files:
            loaded = _read_or_skip(path, skip_bad_files, skipped)
            if loaded is None:
                continue
            nan_dropped += loaded.nan_frames_dropped
            known = np.isin(loaded.labels, list(index_of_id))
            foreign += int((~known).sum())
            parts.append(loaded.frames.subset(known))
            labels.append(np.array([index_of_id[i] for i in loaded.labels[known]], dtype=np.int32))
            session_col.append(np.full(int(known.sum()), info.name, dtype=object))
            user_col.append(np.full(int(known.sum()), info.user, dtype=object))
            file_col.append(np.full(int(known.sum()), _relative(path, root), dtype=object))
            frame_col.append(np.flatnonzero(known).astype(np.int32))
    return FrameTable(ordered, RawFrames.concatenate(parts),
                      np.concatenate(labels) if labels else np.zeros(0, np.int32),
                      np.concatenate(session_col) if session_col else np.zeros(0, object),
                      np.concatenate(user_col) if user_col else np.zeros(0, object),
                      Path(root), sessions, skipped, nan_dropped, foreign,
                      np.concatenate(file_col) if file_col else np.zeros(0, object),
                      np.concatenate(frame_col) if frame_col else np.zeros(0, np.int32))


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


def dataset_fingerprint(sessions: list[SessionInfo], root: Path) -> dict:
    """sha256 over every loaded file's relative path and bytes: which data a model saw."""
    digest = hashlib.sha256()
    count = 0
    for info in sessions:
        for path in info.files:
            digest.update(str(Path(path).relative_to(root)).encode())
            digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
            count += 1
    return {"sha256": digest.hexdigest(), "files": count, "sessions": len(sessions), "root": str(root)}
