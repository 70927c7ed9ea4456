"""The run folder: every artefact of one run, self-describing, read by the exporter and the HIL.

``experiments_outputs/<YYYY_MM_DD_HH_MM_SS>/`` by default (ST's layout), the
``hydra.run.dir`` pattern when the config has one, or ``--output-dir``.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from training.config.schema import Config

DEFAULT_EXPERIMENTS_ROOT = Path("experiments_outputs")
TIMESTAMP_FORMAT = "%Y_%m_%d_%H_%M_%S"
_NOW_PATTERN = re.compile(r"\$\{now:([^}]*)\}")


@dataclass(frozen=True)
class RunFolder:
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


def create_run_folder(config: Config, output_dir: str | None = None, suffix: str = "") -> RunFolder:
    now = _dt.datetime.now()
    if output_dir:
        path = Path(output_dir)
    elif config.hydra and config.hydra.run and config.hydra.run.dir:
        path = Path(_NOW_PATTERN.sub(lambda m: now.strftime(m.group(1)), config.hydra.run.dir))
    else:
        path = DEFAULT_EXPERIMENTS_ROOT / (now.strftime(TIMESTAMP_FORMAT) + suffix)
    path = _unique(path.resolve()) if not output_dir else path.resolve()
    folder = RunFolder(path, config)
    for sub in (folder.path, folder.saved_models, folder.logs):
        sub.mkdir(parents=True, exist_ok=True)
    return folder


def _unique(path: Path) -> Path:
    """Two runs started in the same second get distinct folders."""
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}_{n}")
        n += 1
    return candidate
