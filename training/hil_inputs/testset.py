"""The frames a validation streams: the run's test split, raw (before the distance filter), with provenance.

- ``dataset.test_path`` set (in the run's config or as an override): every frame of that folder, which may
  hold only some of the configured classes (new users recorded in ST's layout);
- otherwise the run's held-out validation sessions, read from its ``split_manifest.json`` (session and user
  splits). A frame split (ST's leaky one) has no held-out sessions: it is refused with the reason.
Frames go out raw so the device's own distance filter is tested too; the host decides the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.errors import DatasetError
from tofhil.folders import RunFolder


@dataclass(frozen=True)
class TestFrames:
    split: str  # what the frames are, for every printed accuracy
    class_names: list[str]
    raw: object  # training.data.preprocess.RawFrames
    labels: np.ndarray
    files: np.ndarray
    frames: np.ndarray
    users: np.ndarray
    sessions: np.ndarray
    times_s: np.ndarray  # (N,) recording time in seconds, NaN where the file carries no time stamps

    def __len__(self) -> int:
        return len(self.labels)

    def limit(self, count: int | None) -> TestFrames:
        """The first ``count`` frames, spread over the set (every k-th) so all classes stay represented."""
        if count is None or count >= len(self):
            return self
        index = np.linspace(0, len(self) - 1, count).round().astype(int)
        return TestFrames(f"{self.split}, {count} of {len(self)} frames evenly spaced", self.class_names,
                          self.raw.subset(index), self.labels[index], self.files[index], self.frames[index],
                          self.users[index], self.sessions[index], self.times_s[index])


def load_config(run: RunFolder, overrides: list[str]):
    from training.config import load_config as load

    return load(run.config_path, overrides)


def load_test_frames(run: RunFolder, config) -> TestFrames:
    from training.data.dataset import load_frame_table

    if config.dataset.test_path:
        # a test folder may hold only some of the classes (recordings of new users)
        table = load_frame_table(Path(config.dataset.test_path), config.dataset.class_names,
                                 require_all_classes=False)
        return _frames(table, f"test set {config.dataset.test_path}", np.ones(len(table), bool))
    manifest = run.split_manifest()
    if manifest.get("mode") == "frame":
        raise DatasetError(f"{run.path}: trained with split_by: frame (ST's leaky split) - its validation frames "
                       "are near-duplicates of training frames; validate on held-out data with "
                       "dataset.test_path=DIR, or train with split_by: session")
    if manifest.get("mode") == "validation_path":
        table = load_frame_table(Path(manifest["validation_path"]), config.dataset.class_names)
        return _frames(table, f"validation set {manifest['validation_path']}", np.ones(len(table), bool))
    held_out = sorted(name for name, side in manifest.get("sessions", {}).items() if side == "validation")
    if not held_out:
        raise DatasetError(f"{run.path / 'split_manifest.json'}: no validation sessions listed")
    table = load_frame_table(Path(config.dataset.training_path), config.dataset.class_names)
    selected = np.isin(table.sessions, held_out)
    return _frames(table, f"validation split (held-out {manifest['mode']}s of the run, "
                          f"{len(held_out)} sessions)", selected)


def _frames(table, split: str, selected: np.ndarray) -> TestFrames:
    index = np.flatnonzero(selected)
    if len(index) == 0:
        raise DatasetError(f"{split}: no frames to validate on")
    files = table.files[index] if len(table.files) else np.full(len(index), "?", object)
    frames = table.frame_in_file[index] if len(table.frame_in_file) else np.full(len(index), -1)
    times = table.times_s[index] if len(table.times_s) else np.full(len(index), np.nan)
    return TestFrames(split, list(table.class_names), table.frames.subset(index), table.labels[index],
                      files, frames, table.users[index], table.sessions[index], times)
