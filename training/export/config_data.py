"""The data a config gives a model trained elsewhere: frames to calibrate its int8 quantization on, and a set to
test it on, from the first data path the config has.

- ``dataset.training_path``: the training split calibrates, the test set (``test_path``, else the validation
  split) tests, as for a run of ours;
- only ``dataset.test_path`` (ST's evaluation example; a deployment given one): the test frames do both. It is
  said on one line and in ``model_report.json``: the int8 model is then tested on the frames it was calibrated on;
- no data path (ST's benchmarking example): random inputs, only where no figure depends on the calibration
  (``benchmarking``: footprint and speed); anywhere else it is one line naming the keys to add.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.config.schema import Config
from training.errors import ExportError

FROM_TRAINING = "training split (dataset.training_path)"
FROM_TEST = ("test set (dataset.test_path, the config's only data path): the int8 model is tested on the frames "
             "it was calibrated on")
FROM_NOTHING = "none: an int8 model, used as it is"
FROM_RANDOM = ("random inputs (the config has no data path): footprint and speed are the model's, its int8 "
               "accuracy is not; fine for benchmarking only")
INPUT_SHAPE = (8, 8, 2)  # the ToF input every model here takes


@dataclass(frozen=True)
class ConfigData:
    class_names: list[str] | None
    representative: np.ndarray | None
    test_set: tuple[np.ndarray, np.ndarray] | None
    test_name: str  # "test" or "validation"
    calibration: str  # where the representative frames come from (one of FROM_*)
    manifest: dict  # the run-shaped folder's split_manifest.json


def config_data(config: Config, random_ok: bool = False, calibrate: bool = True) -> ConfigData:
    """The frames of ``config`` (see the module's docstring); ``random_ok``: random inputs when it has none;
    ``calibrate`` false (an int8 model): no data path is fine too."""
    dataset = config.dataset
    if dataset.training_path:
        return _from_training(config)
    if dataset.test_path:
        return _from_test_path(config)
    if not calibrate:
        return ConfigData(dataset.class_names or None, None, None, "test", FROM_NOTHING, _empty(FROM_NOTHING))
    if random_ok:
        return _random(config)
    raise ExportError(f"{config.source}: dataset: no training_path or test_path; a float model is quantized to "
                      f"int8 here with frames from one of them: add dataset.test_path=DIR (or training_path) to the "
                      f"command line, or give an int8 .tflite model")


def calibration_line(data: ConfigData) -> str | None:
    """The line printed when the calibration is not the training split."""
    if data.calibration in (FROM_TRAINING, FROM_NOTHING):
        return None
    return f"note: int8 calibration on the {data.calibration}"


def needs_calibration(model: Path) -> bool:
    """False for an int8 ``.tflite`` (used as it is), true for a Keras model or a float ``.tflite``."""
    from training.export.float_tflite import is_float_model
    from training.export.tflite_verify import verify_tflite

    model = Path(model)
    if model.suffix != ".tflite" or not model.is_file():
        return True
    try:
        verify_tflite(model.read_bytes())
    except ExportError:
        return True  # the export says what is wrong with the file, in one line
    return is_float_model(model.read_bytes())


def _from_training(config: Config) -> ConfigData:
    from training.train.data_setup import load_splits

    splits = load_splits(config)
    return ConfigData(splits.class_names, splits.train.x, (splits.test.x, splits.test.y),
                      "validation" if splits.test_is_validation else "test", FROM_TRAINING, splits.manifest)


def _from_test_path(config: Config) -> ConfigData:
    from training.data.dataset import prepare
    from training.train.data_setup import load_test_table, preprocessing_spec

    table = load_test_table(config)
    test = prepare(table, preprocessing_spec(config))
    if len(test.y) == 0:
        raise ExportError(f"{config.source}: dataset.test_path: {config.dataset.test_path}: no frame passes the "
                          f"distance filter (preprocessing.Min_distance/Max_distance)")
    manifest = {"mode": "test_path", "test_path": str(Path(config.dataset.test_path)), "calibration": FROM_TEST,
                "test_sessions": sorted(set(test.sessions)), "test_classes_without_folder": table.missing_classes,
                "frames": {"training": 0, "validation": 0, "test": int(len(test.y))}}
    return ConfigData(list(table.class_names), test.x, (test.x, test.y), "test", FROM_TEST, manifest)


def _random(config: Config) -> ConfigData:
    rng = np.random.default_rng(config.export.representative_seed)
    frames = rng.standard_normal((config.export.representative_size, *INPUT_SHAPE)).astype(np.float32)
    return ConfigData(config.dataset.class_names or None, frames, None, "test", FROM_RANDOM, _empty(FROM_RANDOM))


def _empty(calibration: str) -> dict:
    return {"mode": "none", "calibration": calibration, "frames": {"training": 0, "validation": 0, "test": 0}}
