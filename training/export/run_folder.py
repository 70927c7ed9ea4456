"""Read what the exporter needs from a run folder (or from a config, for a model trained elsewhere).

``RUN_DIR/saved_models/best_model.keras`` (or ``.h5``) and ``RUN_DIR/config.yaml``,
the resolved config of the run. The splits are rebuilt with the trainer's own
:func:`~training.train.data_setup.load_splits`, so the representative set is
drawn from the very training split the model saw and the test set is the one
the run reported (its validation split when the config has no test set).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training.config import load_config
from training.config.schema import Config, ExportConfig
from training.data.preprocess import PreprocessingSpec
from training.errors import ExportError
from training.export.config_data import FROM_TRAINING, calibration_line, config_data
from training.train.data_setup import preprocessing_spec
from tofhil.postprocessing import Postprocessing


@dataclass(frozen=True)
class ExportInputs:
    model_path: Path
    spec: PreprocessingSpec
    class_names: list[str]
    representative: np.ndarray | None  # preprocessed training-split inputs
    test_set: tuple[np.ndarray, np.ndarray] | None
    test_name: str = "test"
    settings: ExportConfig = field(default_factory=ExportConfig)  # the config's export section
    calibration: str = FROM_TRAINING  # where ``representative`` comes from (training.export.config_data)
    postprocessing: Postprocessing | None = None  # the config's decision pipeline, generated after the model


def find_model(run_dir: Path) -> Path:
    from tofhil.folders import find_best_model

    path = find_best_model(run_dir)
    if path is not None:
        return path
    raise ExportError(f"{run_dir}: no saved_models/best_model.keras or best_model.h5 (is it a run folder?)")


def load_export_config(path: Path, dataset_root: Path | None = None) -> Config:
    overrides = [f"dataset.training_path={dataset_root}"] if dataset_root else []
    return load_config(path, overrides)


def read_run_folder(run_dir: Path, dataset_root: Path | None = None) -> ExportInputs:
    run_dir = Path(run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise ExportError(f"{run_dir}: no config.yaml (is it a run folder of `python -m training train`?)")
    return inputs_from_config(load_export_config(config_path, dataset_root), find_model(run_dir))


def inputs_from_config(config: Config, model_path: Path, random_ok: bool = False) -> ExportInputs:
    """The export's inputs from the config's data (``training.export.config_data``: its training split, else its
    test set, else with ``random_ok`` random inputs), the calibration's source printed when not the training split."""
    data = config_data(config, random_ok)
    if calibration_line(data):
        print(calibration_line(data), flush=True)
    return ExportInputs(Path(model_path), preprocessing_spec(config), data.class_names, data.representative,
                        data.test_set, data.test_name, config.export, data.calibration,
                        postprocessing=config.postprocessing)
