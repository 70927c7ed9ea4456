"""``--model FILE --config CONFIG``: validate a model trained elsewhere, through a run-shaped folder.

``python -m training hil-inputs`` (run as a step: ``hil`` imports nothing from ``training``) makes
``OUTPUT/model/`` a run folder for the model (resolved config, the model, the split manifest, the export) and
writes the test frames and host references; from there the validation is the one of any run folder. The report
goes in ``OUTPUT`` itself (``--output-dir``, default ``experiments_outputs/<model>_<stamp>``).
"""
from __future__ import annotations

import time
from pathlib import Path

from hil.errors import HilError

MODEL_SUFFIXES = (".h5", ".keras", ".tflite")
MODEL_DIRNAME = "model"  # the run-shaped folder inside the output folder


def check_model_request(model: Path | None, config: Path | None, run_dir: Path | None) -> None:
    """The one-line refusals, before anything runs: a missing file, an unknown type, a half request."""
    if model is None:
        if config is not None:
            raise HilError("--config goes with --model (a run folder's config is its own config.yaml)")
        return
    if run_dir is not None:
        raise HilError("--model and --run-dir exclude each other: validate a model file or a run folder")
    if config is None:
        raise HilError(f"--model {model} needs --config CONFIG.yaml (the dataset, preprocessing and class names "
                       "of the model)")
    if Path(model).suffix not in MODEL_SUFFIXES:
        raise HilError(f"--model {model}: unknown model file type {Path(model).suffix or '(none)'!r}; expected "
                       f"{', '.join(MODEL_SUFFIXES)}")
    for option, path in (("--model", model), ("--config", config)):
        if not Path(path).is_file():
            raise HilError(f"{option} {path}: no such file")


def default_output_dir(model: Path, root: Path = Path("experiments_outputs")) -> Path:
    return root / f"{Path(model).stem}_{time.strftime('%Y_%m_%d_%H_%M_%S')}"


def model_run_dir(output_dir: Path) -> Path:
    return Path(output_dir) / MODEL_DIRNAME


def step_arguments(model: Path, config: Path) -> list[str]:
    """The options of ``python -m training hil-inputs`` that make the run-shaped folder first."""
    return ["--model", str(Path(model).resolve()), "--config", str(Path(config).resolve())]
