"""The folder the training side hands to a HIL validation: the test frames, their host references, and the
run config's ``hil:`` section as resolved (with the command line's ``section.key=value`` overrides).

``python -m training hil-inputs`` writes it (config, dataset and TensorFlow live there); ``hil`` reads it with
:func:`read_inputs` and so never imports ``training``. Plain ``.npz`` arrays and JSON, no pickles.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tofhil.atomic import atomic_target, write_text_atomic
from tofhil.errors import FolderError

SETTINGS_NAME = "hil_settings.json"  # {"hil": <config.hil as a dict>, "split": str, "class_names": [...]}
TESTSET_NAME = "testset.npz"
REFERENCES_NAME = "references.npz"
LAYERS_NAME = "layer_references.npz"  # every op's BUILTIN_REF output (per-layer validation)
RAW_ARRAYS = ("distance_mm", "signal_per_spad", "target_status")
FRAME_ARRAYS = ("labels", "files", "frames", "users", "sessions")


@dataclass(frozen=True)
class RawArrays:
    """Raw sensor frames as a board receives them: (N, 64) distance, signal and target status."""

    distance_mm: np.ndarray
    signal_per_spad: np.ndarray
    target_status: np.ndarray

    def __len__(self) -> int:
        return int(self.distance_mm.shape[0])


@dataclass(frozen=True)
class TestFrames:
    """The frames a validation streams, with their provenance (file, frame in file, user, session)."""

    __test__ = False  # not a pytest test class

    split: str  # what the frames are, for every printed accuracy
    class_names: list[str]
    raw: RawArrays
    labels: np.ndarray
    files: np.ndarray
    frames: np.ndarray
    users: np.ndarray
    sessions: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class ValidationInputs:
    hil: dict  # the run config's hil section: board, mode, limit, output_dir, gates
    frames: TestFrames
    references: dict  # the arrays of references.npz (see docs/architecture.md)
    layers: dict | None = None  # the arrays of layer_references.npz (training/hil_inputs/layer_references.py)


def write_inputs(folder: Path, hil: dict, frames, references: dict, layers: dict | None = None) -> Path:
    """Write the files; ``frames`` is any object with the :class:`TestFrames` attributes."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {name: np.asarray(getattr(frames.raw, name)) for name in RAW_ARRAYS}
    arrays.update({name: np.asarray(getattr(frames, name)) for name in FRAME_ARRAYS})
    arrays["files"] = arrays["files"].astype(str)  # object arrays would need pickles
    arrays["users"] = arrays["users"].astype(str)
    arrays["sessions"] = arrays["sessions"].astype(str)
    with atomic_target(folder / TESTSET_NAME) as temporary:
        np.savez(temporary, **arrays)
    write_references(references, folder / REFERENCES_NAME)
    if layers is not None:
        write_references(layers, folder / LAYERS_NAME)
    settings = {"hil": hil, "split": frames.split, "class_names": list(frames.class_names)}
    write_text_atomic(folder / SETTINGS_NAME, json.dumps(settings, indent=2) + "\n")
    return folder


def write_references(references: dict, path: Path) -> Path:
    with atomic_target(Path(path)) as temporary:
        np.savez(temporary, **references)
    return Path(path)


def read_arrays(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: stored[key] for key in stored.files}
    except (OSError, ValueError, EOFError) as exc:
        raise FolderError(f"{path}: not a readable .npz of plain arrays ({exc}); "
                          "it is written by python -m training hil-inputs") from exc


def read_inputs(folder: Path) -> ValidationInputs:
    folder = Path(folder)
    try:
        settings = json.loads((folder / SETTINGS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FolderError(f"{folder / SETTINGS_NAME}: unreadable ({exc}); "
                          "it is written by python -m training hil-inputs") from exc
    arrays = read_arrays(folder / TESTSET_NAME)
    missing = [name for name in (*RAW_ARRAYS, *FRAME_ARRAYS) if name not in arrays]
    if missing:
        raise FolderError(f"{folder / TESTSET_NAME}: missing arrays {missing}")
    raw = RawArrays(*(arrays[name] for name in RAW_ARRAYS))
    frames = TestFrames(settings["split"], list(settings["class_names"]), raw,
                        *(arrays[name] for name in FRAME_ARRAYS))
    layers = read_arrays(folder / LAYERS_NAME) if (folder / LAYERS_NAME).is_file() else None
    return ValidationInputs(settings["hil"], frames, read_arrays(folder / REFERENCES_NAME), layers)
