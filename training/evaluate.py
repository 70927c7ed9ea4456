"""``python -m training evaluate CONFIG --model PATH``: a model's accuracy on the config's test set.

The test set (``dataset.test_path``) may hold only some of the configured classes,
e.g. recordings of a new user in ST's layout: the classes it lacks get a
"no samples" row instead of stopping the evaluation.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from tabulate import tabulate

from training.config.schema import Config
from training.data.dataset import prepare
from training.models.factory import load_model_file
from tofhil.metrics import accuracy_text
from training.reporting.tables import confusion_table
from training.train.data_setup import load_splits, load_test_table, preprocessing_spec
from training.train.evaluation import evaluate_splits
from training.train.run_folder import check_output_dir, create_run_folder


def resolve_model_path(model: str) -> Path:
    """A model file, or a run folder (its saved_models/best_model.keras)."""
    from tofhil.folders import find_best_model

    path = Path(model)
    if path.is_dir():
        return find_best_model(path) or path
    return path


def evaluation_split(config: Config, skip_bad_files: bool):
    """(name, prepared split, class names): ``dataset.test_path``, else the config's validation split."""
    if config.dataset.test_path:
        table = load_test_table(config, skip_bad_files)
        return "test", prepare(table, preprocessing_spec(config)), table.class_names
    splits = load_splits(config, skip_bad_files)
    return "validation", splits.test, splits.class_names


def run_evaluation(config: Config, model: str, output_dir: str | None = None,
                   skip_bad_files: bool = False, log=print, overwrite: bool = False) -> dict:
    if output_dir:
        check_output_dir(output_dir, overwrite)
    keras_model = load_model_file(resolve_model_path(model))
    name, split, class_names = evaluation_split(config, skip_bad_files)
    folder = create_run_folder(config, output_dir, suffix="_evaluation", overwrite=overwrite)
    results = evaluate_splits(keras_model, {name: split}, class_names, folder.path)
    metrics = results[name]
    without = [c for c in class_names if metrics["per_class"][c]["support"] == 0]
    evaluation = {"model": str(resolve_model_path(model)), "config": config.source, "split": name,
                  "class_names": class_names, "classes_without_samples": without, "metrics": metrics}
    folder.write_json("evaluation.json", evaluation)
    log(per_class_table(metrics, class_names))
    log("")
    log(confusion_table(np.asarray(metrics["confusion_matrix"]), class_names))
    if name == "validation":
        log("note: no dataset.test_path: the validation split of this config stands in for the test set")
    log(accuracy_text(name, metrics))
    above = share_above_threshold(keras_model, split.x, config.postprocessing.threshold)
    if above is not None:
        evaluation["above_threshold"] = above
        folder.write_json("evaluation.json", evaluation)
        log(f"{name} frames above the threshold {config.postprocessing.threshold:g} (postprocessing.threshold, "
            f"what ST's application shows): {100 * above['rate']:.2f} % ({above['count']}/{above['total']})")
    log(f"written to {folder.path}")
    return evaluation


def share_above_threshold(keras_model, x: np.ndarray, threshold: float) -> dict | None:
    """Frames whose top probability is above the threshold (compared in double, as ST's C does); None for a
    single sigmoid output or no frames."""
    if not len(x):
        return None
    scores = np.asarray(keras_model.predict(x, batch_size=1024, verbose=0), np.float64)
    if scores.shape[-1] == 1:
        return None
    count = int(np.sum(scores.max(axis=1) > threshold))
    return {"threshold": threshold, "count": count, "total": int(len(scores)), "rate": count / len(scores)}


def per_class_table(metrics: dict, class_names: list[str]) -> str:
    """Precision, recall, F1 (%) and support per class; a class absent from the test set says so."""
    rows = []
    for name in class_names:
        entry = metrics["per_class"][name]
        if entry["support"] == 0:
            rows.append([name, "no samples", "", "", 0])
            continue
        rows.append([name] + [_percent(entry[key]) for key in ("precision", "recall", "f1")] + [entry["support"]])
    rows.append(["macro average"] + [_percent(metrics["macro"][key]) for key in ("precision", "recall", "f1")]
                + [metrics["samples"]])
    return tabulate(rows, headers=["class", "precision", "recall", "F1", "n"], tablefmt="github",
                    disable_numparse=True)


def _percent(value) -> str:
    return "-" if value is None else f"{100.0 * value:.2f}"
