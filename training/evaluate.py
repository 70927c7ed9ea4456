"""``python -m training evaluate CONFIG --model PATH``: a model's accuracy on the config's test set."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from training.config.schema import Config
from training.models.factory import load_model_file
from training.reporting.tables import confusion_table, metrics_table
from training.train.data_setup import load_splits
from training.train.evaluation import evaluate_splits
from training.train.run_folder import create_run_folder


def resolve_model_path(model: str) -> Path:
    """A model file, or a run folder (its saved_models/best_model.keras)."""
    path = Path(model)
    if path.is_dir():
        candidates = sorted(path.glob("*/best_model.keras")) + sorted(path.glob("best_model.keras"))
        if candidates:
            return candidates[0]
    return path


def run_evaluation(config: Config, model: str, output_dir: str | None = None,
                   skip_bad_files: bool = False, log=print) -> dict:
    keras_model = load_model_file(resolve_model_path(model))
    splits = load_splits(config, skip_bad_files)
    folder = create_run_folder(config, output_dir, suffix="_evaluation")
    name = "test" if not splits.test_is_validation else "validation"
    results = evaluate_splits(keras_model, {name: splits.test}, splits.class_names, folder.path)
    report = {"model": str(resolve_model_path(model)), "config": config.source, "split": name,
              "class_names": splits.class_names, "metrics": results[name]}
    folder.write_json("evaluation.json", report)
    log(metrics_table(results))
    log("")
    log(confusion_table(np.asarray(results[name]["confusion_matrix"]), splits.class_names))
    if splits.test_is_validation:
        log("note: no dataset.test_path: the validation split of this config stands in for the test set")
    log(f"{name} accuracy: {results[name]['accuracy']:.2%} on {results[name]['frames']} frames")
    log(f"written to {folder.path}")
    return report
