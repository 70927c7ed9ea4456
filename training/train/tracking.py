"""MLflow experiment tracking: embedded SQLite by default, a server when ``mlflow.uri`` names one.

The tracker never holds results hostage: artefacts are written to the run folder
first, and an MLflow failure (a server down, a locked database) becomes a warning
that names the run folder, not a lost training.
"""
from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import keras

DEFAULT_DB_NAME = "mlflow.db"


def default_tracking_uri(experiments_root: Path) -> str:
    return f"sqlite:///{Path(experiments_root).resolve() / DEFAULT_DB_NAME}"


def flatten(data: dict, prefix: str = "") -> dict[str, str]:
    flat = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = str(value)[:500]
    return flat


class MlflowTracker:
    """One MLflow run (optionally nested); every call is a no-op after a failure."""

    def __init__(self, uri: str | None, experiments_root: Path, experiment: str, run_name: str,
                 nested: bool = False):
        self.uri = uri or default_tracking_uri(experiments_root)
        self.experiments_root = Path(experiments_root)
        self.experiment, self.run_name, self.nested = experiment, run_name, nested
        self.active = False
        self.run_id: str | None = None

    def __enter__(self) -> "MlflowTracker":
        self._guard(self._start)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.active:
            self._guard(lambda: self._mlflow().end_run("FAILED" if exc_type else "FINISHED"))
        self.active = False

    def _mlflow(self):
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.getLogger("mlflow").setLevel(logging.WARNING)
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        import mlflow
        return mlflow

    def _start(self) -> None:
        mlflow = self._mlflow()
        mlflow.set_tracking_uri(self.uri)
        if mlflow.get_experiment_by_name(self.experiment) is None:
            location = None
            if self.uri.startswith("sqlite:"):
                # keep artefacts beside the database, not in whatever the cwd is
                location = (self.experiments_root / "mlartifacts").resolve().as_uri()
            mlflow.create_experiment(self.experiment, artifact_location=location)
        mlflow.set_experiment(self.experiment)
        run = mlflow.start_run(run_name=self.run_name, nested=self.nested)
        self.run_id, self.active = run.info.run_id, True

    def _guard(self, action) -> None:
        if self.active or action == self._start:
            try:
                action()
            except Exception as exc:  # tracking must never lose a finished training
                warnings.warn(f"MLflow tracking at {self.uri} failed ({type(exc).__name__}: {exc}); "
                              f"results stay in the run folder", stacklevel=3)
                self.active = False

    def log_params(self, params: dict) -> None:
        self._guard(lambda: self._mlflow().log_params(flatten(params)))

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        clean = {k: float(v) for k, v in metrics.items() if v is not None}
        self._guard(lambda: self._mlflow().log_metrics(clean, step=step))

    def set_tags(self, tags: dict) -> None:
        self._guard(lambda: self._mlflow().set_tags({k: str(v) for k, v in tags.items()}))

    def log_artifacts(self, folder: Path, artifact_path: str | None = None) -> None:
        self._guard(lambda: self._mlflow().log_artifacts(str(folder), artifact_path))

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        self._guard(lambda: self._mlflow().log_artifact(str(path), artifact_path))

    def epoch_callback(self) -> keras.callbacks.Callback:
        tracker = self

        class _LogEpoch(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                logs = dict(logs or {})
                lr = getattr(self.model.optimizer, "learning_rate", None)
                if lr is not None:
                    logs["learning_rate"] = float(keras.ops.convert_to_numpy(lr))
                tracker.log_metrics(logs, step=epoch)

        return _LogEpoch()
