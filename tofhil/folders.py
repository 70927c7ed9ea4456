"""Typed readers of the folders one stage hands to the next: the run folder (training) and the export folder.

The HIL side reads a run through these and nothing else; they import no TensorFlow. A missing or malformed
piece is a :class:`~tofhil.errors.FolderError` naming the file and what produces it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from tofhil.errors import FolderError

EXPORT_DIRNAME = "export"
TFLITE_NAME = "model_int8.tflite"
REPORT_NAME = "model_report.json"


def find_best_model(run_dir: Path) -> Path | None:
    """The one rule for a run folder's model, used by evaluate, export and HIL: ``<models dir>/best_model``,
    ``.keras`` before ``.h5`` (the models dir is ``general.saved_models_dir``, ``saved_models`` by default), then
    ``.tflite`` (only in the folder ``python -m hil run --model`` makes for a model trained elsewhere)."""
    run_dir = Path(run_dir)
    for name in ("best_model.keras", "best_model.h5", "best_model.tflite"):
        candidates = sorted(run_dir.glob(f"*/{name}")) + ([run_dir / name] if (run_dir / name).is_file() else [])
        if candidates:
            return candidates[0]
    return None


def _read_json(path: Path, produced_by: str) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise FolderError(f"{path}: missing (it is written by {produced_by})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FolderError(f"{path}: unreadable JSON ({exc})") from exc


@dataclass(frozen=True)
class RunFolder:
    """``experiments_outputs/<stamp>/`` of ``python -m training train``."""

    path: Path

    @classmethod
    def open(cls, path: Path) -> RunFolder:
        path = Path(path).resolve()
        if not (path / "config.yaml").is_file():
            raise FolderError(f"{path}: not a run folder (no config.yaml); train one with "
                           "`python -m training train configs/handposture.yaml`")
        return cls(path)

    @classmethod
    def newest(cls, root: Path = Path("experiments_outputs")) -> RunFolder:
        """The most recent run folder under ``root`` (what ``--run-dir`` defaults to)."""
        runs = sorted((p for p in Path(root).glob("*/config.yaml")), key=lambda p: p.stat().st_mtime)
        if not runs:
            raise FolderError(f"no run folder under {Path(root).resolve()}: train first "
                           "(`python -m training train configs/handposture.yaml`) or pass --run-dir")
        return cls.open(runs[-1].parent)

    @property
    def config_path(self) -> Path:
        return self.path / "config.yaml"

    @property
    def export_dir(self) -> Path:
        return self.path / EXPORT_DIRNAME

    @property
    def hil_dir(self) -> Path:
        return self.path / "hil"

    def model_path(self) -> Path:
        """The saved best model (``.keras`` preferred over ``.h5``)."""
        path = find_best_model(self.path)
        if path is None:
            raise FolderError(f"{self.path}: no saved_models/best_model.keras or .h5 (is training finished?)")
        return path

    def split_manifest(self) -> dict:
        return _read_json(self.path / "split_manifest.json", "`python -m training train`")

    def metrics(self) -> dict:
        return _read_json(self.path / "metrics.json", "`python -m training train`")


@dataclass(frozen=True)
class ExportFolder:
    """``RUN/export/`` of ``python -m training export``: the int8 model, its C library and report."""

    path: Path

    @classmethod
    def open(cls, path: Path) -> ExportFolder:
        path = Path(path).resolve()
        if not (path / TFLITE_NAME).is_file() or not (path / REPORT_NAME).is_file():
            raise FolderError(f"{path}: not an export folder (needs {TFLITE_NAME} and {REPORT_NAME}); "
                           "run `python -m training export RUN_DIR`")
        return cls(path)

    @property
    def tflite_path(self) -> Path:
        return self.path / TFLITE_NAME

    def report(self) -> dict:
        return _read_json(self.path / REPORT_NAME, "`python -m training export`")

    def model_sha256(self) -> str:
        """sha256 of the ``.tflite`` as it is on disk (never trusted from a side file)."""
        return hashlib.sha256(self.tflite_path.read_bytes()).hexdigest()

    def firmware_dir(self, board: str) -> Path:
        return self.path / "firmware" / board

    def is_current_for(self, run: RunFolder) -> bool:
        """True when this export was made from the run's current best model (by the model file's mtime)."""
        try:
            return self.tflite_path.stat().st_mtime >= run.model_path().stat().st_mtime
        except FolderError:
            return False
