"""The run folder: every artefact of one run, self-describing, read by the exporter and the HIL.

``experiments_outputs/<YYYY_MM_DD_HH_MM_SS>/`` by default (ST's layout), the
``hydra.run.dir`` pattern when the config has one, or ``--output-dir``.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from training.config.schema import Config
from training.errors import OutputDirError

DEFAULT_EXPERIMENTS_ROOT = Path("experiments_outputs")
TIMESTAMP_FORMAT = "%Y_%m_%d_%H_%M_%S"
_NOW_PATTERN = re.compile(r"\$\{now:([^}]*)\}")
# files that show a folder holds the results of a run (training, evaluation or cross-validation)
RUN_MARKERS = ("config.yaml", "metrics.json", "evaluation.json", "crossval.json", "split_manifest.json")


@dataclass(frozen=True)
class RunFolderWriter:
    """The run folder as training writes it (``tofhil.folders.RunFolder`` is its reader on the HIL side)."""

    path: Path
    config: Config

    @property
    def saved_models(self) -> Path:
        return self.path / self.config.general.saved_models_dir

    @property
    def logs(self) -> Path:
        return self.path / self.config.general.logs_dir

    @property
    def best_model(self) -> Path:
        return self.saved_models / "best_model.keras"

    @property
    def experiments_root(self) -> Path:
        """Where the embedded MLflow database lives: the parent of the run folder."""
        return self.path.parent

    def write_json(self, name: str, data) -> Path:
        target = self.path / name
        target.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
        return target


def check_output_dir(output_dir: str | os.PathLike, overwrite: bool = True) -> Path:
    """Fail now, not after minutes of data loading: the folder exists or can be created, and is writable.

    Without ``overwrite``, a folder holding a finished run is refused (its results would be replaced).
    """
    path = Path(output_dir).absolute()
    try:
        existing = next(p for p in (path, *path.parents) if p.exists())
    except OSError as exc:
        raise OutputDirError(f"--output-dir {output_dir}: cannot be checked ({exc.strerror})") from exc
    if existing == path and not path.is_dir():
        raise OutputDirError(f"--output-dir {output_dir}: exists and is not a folder; name a folder")
    if not existing.is_dir():
        raise OutputDirError(f"--output-dir {output_dir}: cannot be created: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputDirError(f"--output-dir {output_dir}: cannot be created or written: no write permission "
                             f"on {existing}")
    finished = [m for m in RUN_MARKERS if (path / m).exists()] if path.is_dir() else []
    if finished and not overwrite:
        raise OutputDirError(f"--output-dir {output_dir}: holds a finished run ({', '.join(finished)}); "
                             f"name another folder, or pass --overwrite to replace it")
    return path


def create_run_folder(config: Config, output_dir: str | None = None, suffix: str = "",
                      overwrite: bool = True) -> RunFolderWriter:
    now = _dt.datetime.now()
    if output_dir:
        path = Path(output_dir)
    elif config.hydra and config.hydra.run and config.hydra.run.dir:
        path = Path(_NOW_PATTERN.sub(lambda m: now.strftime(m.group(1)), config.hydra.run.dir))
    else:
        path = DEFAULT_EXPERIMENTS_ROOT / (now.strftime(TIMESTAMP_FORMAT) + suffix)
    path = _unique(path.resolve()) if not output_dir else check_output_dir(path, overwrite).resolve()
    folder = RunFolderWriter(path, config)
    try:
        for sub in (folder.path, folder.saved_models, folder.logs):
            sub.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputDirError(f"{path}: cannot create the run folder ({exc.strerror})") from exc
    return folder


def _unique(path: Path) -> Path:
    """Two runs started in the same second get distinct folders."""
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}_{n}")
        n += 1
    return candidate
