"""What a benchmark reads from a run folder: the float model, our int8 model, and where results go.

Only paths and hashes here: the benchmark never loads a model (no TensorFlow).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from hil.st_benchmark.errors import RunFolderError

FLOAT_CANDIDATES = ("saved_models/best_model.h5", "saved_models/best_model.keras")
INT8_MODEL = "export/model_int8.tflite"
EXPORT_REPORT = "export/model_report.json"


@dataclass(frozen=True)
class ModelFile:
    kind: str  # "float" | "int8"
    path: Path
    sha256: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "file": str(self.path), "sha256": self.sha256}


@dataclass(frozen=True)
class RunModels:
    run_dir: Path
    float_model: ModelFile
    int8_model: ModelFile

    def both(self) -> tuple[ModelFile, ModelFile]:
        return self.float_model, self.int8_model


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def find_run_models(run_dir: Path) -> RunModels:
    """The run's float model (``.h5`` first: every ST tool reads it) and our exported int8 ``.tflite``."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunFolderError(f"{run_dir}: run folder not found; pass --run-dir experiments_outputs/<stamp>")
    float_path = next((run_dir / c for c in FLOAT_CANDIDATES if (run_dir / c).is_file()), None)
    if float_path is None:
        raise RunFolderError(f"{run_dir}: no float model ({' or '.join(FLOAT_CANDIDATES)}); "
                             f"is this a training run folder?")
    int8_path = run_dir / INT8_MODEL
    if not int8_path.is_file():
        raise RunFolderError(f"{int8_path}: int8 model not found; run `python -m training export {run_dir}` first")
    return RunModels(run_dir, ModelFile("float", float_path, sha256_of(float_path)),
                     ModelFile("int8", int8_path, sha256_of(int8_path)))


def results_folder(run_dir: Path, backend: str, label: str, output_dir: Path | None = None) -> Path:
    """``RUN/hil/<backend>/<label>-<UTC stamp>/`` (or ``output_dir``), created."""
    if output_dir is None:
        stamp = time.strftime("%Y_%m_%d_%H_%M_%S", time.gmtime())
        output_dir = Path(run_dir) / "hil" / backend / f"{safe_name(label)}-{stamp}"
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    return output_dir


def safe_name(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text) or "unnamed"
