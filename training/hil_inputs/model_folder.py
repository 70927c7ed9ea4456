"""A run-shaped folder for a model trained elsewhere (``python -m hil run --model FILE --config CONFIG``).

It holds what a training run leaves for the later stages: the resolved config, the model under its run-folder
name (a copy: ``best_model.h5``, ``.keras`` or ``.tflite``), the split manifest (the config's validation split,
which stands in when there is no ``dataset.test_path``) and the export. The HIL side then reads it as any run
folder, so every report, gate, ``--resume`` and ``--per-layer`` works unchanged.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from training.config import load_config
from training.config.loader import save_resolved_config
from training.errors import ExportError

MODEL_NAMES = {".h5": "best_model.h5", ".keras": "best_model.keras", ".tflite": "best_model.tflite"}
SOURCE_NAME = "model_source.json"  # written last: a folder without it is unfinished and made again


def check_model_file(model: Path) -> None:
    if model.suffix not in MODEL_NAMES:
        raise ExportError(f"{model}: unknown model file type {model.suffix or '(none)'!r}; expected "
                          f"{', '.join(MODEL_NAMES)}")
    if not model.is_file():
        raise ExportError(f"{model}: model file not found")


def make_model_folder(model: Path, config_path: Path, run_dir: Path, overrides: list[str] = ()) -> Path:
    """``run_dir`` made (or kept, when it already holds this model and config) a run folder for ``model``;
    ``overrides`` (``section.key=value``, e.g. ``dataset.test_path=DIR``) apply to its config as to the validation."""
    model, config_path, run_dir = Path(model), Path(config_path), Path(run_dir)
    check_model_file(model)
    source = {"model": str(model.resolve()), "model_sha256": _sha256(model),
              "config": str(config_path.resolve()), "config_sha256": _sha256(config_path),
              "overrides": list(overrides)}
    if _source_of(run_dir) == source:
        return run_dir  # --resume, or the same model validated again in the same folder
    if _source_of(run_dir) is not None or (run_dir / "config.yaml").exists():
        raise ExportError(f"{run_dir}: holds another model or config; name another --output-dir")
    config = load_config(config_path, list(overrides))
    if not (config.dataset.training_path or config.dataset.test_path):  # before any export: nothing to stream
        raise ExportError(f"{config_path}: dataset: no test_path or training_path; the model is validated on the "
                          f"test set (dataset.test_path, else the validation split of training_path): add "
                          f"dataset.test_path=DIR")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / SOURCE_NAME).unlink(missing_ok=True)
    fill_model_folder(config, model, run_dir, firmware=False)
    (run_dir / SOURCE_NAME).write_text(json.dumps(source, indent=2) + "\n")
    return run_dir


def fill_model_folder(config, model: Path, run_dir: Path, firmware: bool, data=None, print_summary: bool = False):
    """The model copied in under its run-folder name and exported as ``python -m training export RUN_DIR`` would
    (calibrated on the config's first data path, training.export.config_data), then the resolved config and the
    split manifest; ``firmware``: the firmware project for ``export.board`` too (else left to the HIL side, which
    builds it for the board it runs on). ``data``: the config's data, when already read. The export's result."""
    import dataclasses

    from training.export.cli import export_and_print, options_from_config
    from training.export.config_data import calibration_line, config_data, needs_calibration
    from training.export.pipeline import export_model
    from training.export.run_folder import ExportInputs
    from training.train.data_setup import preprocessing_spec

    check_model_file(model)
    saved = run_dir / config.general.saved_models_dir
    saved.mkdir(parents=True, exist_ok=True)
    copy = saved / MODEL_NAMES[model.suffix]
    shutil.copy2(model, copy)
    data = data or config_data(config, calibrate=needs_calibration(copy))
    if calibration_line(data):
        print(calibration_line(data), flush=True)
    inputs = ExportInputs(copy, preprocessing_spec(config), data.class_names, data.representative, data.test_set,
                          data.test_name, config.export, data.calibration,
                          postprocessing=config.postprocessing)
    options = dataclasses.replace(options_from_config(config.export, config.postprocessing), firmware=firmware,
                                  calibration=data.calibration)
    if print_summary:
        result = export_and_print(copy, run_dir / "export", inputs, options)
    else:
        result = export_model(copy, run_dir / "export", inputs.spec, inputs.class_names, inputs.representative,
                              inputs.test_set, options)
    save_resolved_config(config, run_dir / "config.yaml")
    (run_dir / "split_manifest.json").write_text(json.dumps(data.manifest, indent=2) + "\n")
    return result


def _source_of(run_dir: Path) -> dict | None:
    try:
        return json.loads((run_dir / SOURCE_NAME).read_text())
    except (OSError, ValueError):
        return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
