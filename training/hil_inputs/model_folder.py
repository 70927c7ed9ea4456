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


def make_model_folder(model: Path, config_path: Path, run_dir: Path) -> Path:
    """``run_dir`` made (or kept, when it already holds this model and config) a run folder for ``model``."""
    model, config_path, run_dir = Path(model), Path(config_path), Path(run_dir)
    check_model_file(model)
    source = {"model": str(model.resolve()), "model_sha256": _sha256(model),
              "config": str(config_path.resolve()), "config_sha256": _sha256(config_path)}
    if _source_of(run_dir) == source:
        return run_dir  # --resume, or the same model validated again in the same folder
    if _source_of(run_dir) is not None or (run_dir / "config.yaml").exists():
        raise ExportError(f"{run_dir}: holds another model or config; name another --output-dir")
    config = load_config(config_path)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / SOURCE_NAME).unlink(missing_ok=True)
    saved = run_dir / config.general.saved_models_dir
    saved.mkdir(exist_ok=True)
    shutil.copy2(model, saved / MODEL_NAMES[model.suffix])
    splits = _export(config, saved / MODEL_NAMES[model.suffix], run_dir)
    save_resolved_config(config, run_dir / "config.yaml")
    (run_dir / "split_manifest.json").write_text(json.dumps(splits.manifest, indent=2) + "\n")
    (run_dir / SOURCE_NAME).write_text(json.dumps(source, indent=2) + "\n")
    return run_dir


def _export(config, model_path: Path, run_dir: Path):
    """Export as ``python -m training export RUN_DIR`` would, from splits loaded once (the firmware project is
    left to the HIL side, which builds it for the board it runs on)."""
    import dataclasses

    from training.export.cli import options_from_config
    from training.export.pipeline import export_model
    from training.train.data_setup import load_splits, preprocessing_spec

    splits = load_splits(config)
    options = dataclasses.replace(options_from_config(config.export, config.postprocessing), firmware=False)
    export_model(model_path, run_dir / "export", preprocessing_spec(config), splits.class_names, splits.train.x,
                 (splits.test.x, splits.test.y), options)
    return splits


def _source_of(run_dir: Path) -> dict | None:
    try:
        return json.loads((run_dir / SOURCE_NAME).read_text())
    except (OSError, ValueError):
        return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
