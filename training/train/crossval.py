"""Cross-validation by user or by session: the accuracy a recipe gets on people (or recordings) it never saw.

Each fold trains the config's recipe from scratch on the other folds and is
scored once on the held-out fold, which nothing else ever sees. Which epoch is
scored (``inner_validation``):

- ``none``: the whole training part trains and the last epoch is scored: no
  selection at all, right for a fixed schedule (the shipped recipe);
- ``frame`` / ``session``: a hold-out of ``dataset.validation_split`` of the
  training part (frame- or session-level) picks the best epoch, needed by
  recipes whose callbacks watch validation metrics (EarlyStopping, ...);
- ``auto`` (default): ``frame`` when a callback watches a ``val_`` metric,
  else ``none``.

With three users a session-level hold-out costs a lot: Users 2 and 3 recorded one
session per class, so in the User1 fold it keeps one of the two sessions of each
class away from training. A class
recorded by a single group (None, recorded by User1 only) cannot be tested on an
unseen group: it stays in training in every fold, and the table says so.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from tabulate import tabulate

from training.config.loader import config_to_dict, save_resolved_config
from training.config.schema import Config
from training.reporting.tables import accuracy_cell
from training.data.dataset import PreparedSplit, load_frame_table, prepare
from training.data.splits import SplitResult, check_folds, leave_one_group_out, split_indices
from training.errors import ConfigError
from training.models.factory import model_for_config
from tofhil.metrics import classification_metrics
from tofhil.plots import plot_confusion_matrix
from training.train.data_setup import Splits, take_frames, preprocessing_spec
from training.train.evaluation import predict_classes
from training.train.run_folder import check_output_dir, create_run_folder
from training.train.tracking import MlflowTracker
from training.train.trainer import compile_model, fit, preflight, seed_everything


@dataclass
class FoldResult:
    name: str
    test_groups: list[str]
    train_frames: int
    test_frames: int
    accuracy: float
    kept_in_training: list[str]
    scored_epoch: int


def callbacks_need_validation(callbacks: dict | None) -> bool:
    """True when a configured callback watches a validation metric (EarlyStopping, ReduceLROnPlateau...)."""
    for name, args in (callbacks or {}).items():
        monitor = (args or {}).get("monitor", "val_loss" if name in ("EarlyStopping", "ReduceLROnPlateau") else "")
        if str(monitor).startswith("val_"):
            return True
    return False


def fold_assignment(prepared: PreparedSplit, by: str, folds: int | None, seed: int) -> np.ndarray:
    """A fold name per frame. By user: one fold per user unless ``folds`` groups them."""
    if by == "user":
        users = sorted(set(prepared.users.tolist()))
        count = folds or len(users)
        if not 2 <= count <= len(users):
            raise ConfigError(f"crossval --folds {count}: by user needs 2..{len(users)} folds ({users})")
        names = {u: (u if count == len(users) else f"fold{i % count + 1}") for i, u in enumerate(users)}
        return np.array([names[u] for u in prepared.users], dtype=object)
    count = folds or 5
    check_folds(count)
    rng = np.random.default_rng(seed)
    fold_of_session = {}
    for label in np.unique(prepared.y):
        sessions = rng.permutation(sorted(set(prepared.sessions[prepared.y == label].tolist())))
        for i, session in enumerate(sessions):
            fold_of_session[session] = f"fold{i % count + 1}"
    used = sorted(set(fold_of_session.values()))
    if len(used) < 2:
        raise ConfigError(f"crossval --by session: every class has a single session, so all land in {used}; "
                          f"cross-validation by session needs at least two sessions in some class")
    return np.array([fold_of_session[s] for s in prepared.sessions], dtype=object)


def run_crossval(config: Config, by: str = "user", folds: int | None = None, output_dir: str | None = None,
                 skip_bad_files: bool = False, verbose: int = 0, track: bool = True,
                 log=print, inner_validation: str = "auto", overwrite: bool = False) -> dict:
    check_folds(folds)
    if output_dir:
        check_output_dir(output_dir, overwrite)
    preflight(config)
    if inner_validation == "auto":
        inner_validation = "frame" if callbacks_need_validation(config.training.callbacks) else "none"
    spec = preprocessing_spec(config)
    table = load_frame_table(config.dataset.training_path, config.dataset.class_names, skip_bad_files)
    prepared = prepare(table, spec)
    class_names = table.class_names
    assignment = fold_assignment(prepared, by, folds, config.general.global_seed)
    root = create_run_folder(config, output_dir, suffix=f"_crossval_{by}", overwrite=overwrite)
    save_resolved_config(config, root.path / "config.yaml")
    tracker = MlflowTracker(config.mlflow.uri, root.experiments_root, config.general.project_name,
                            root.path.name) if track else None
    results, pooled_true, pooled_pred = [], [], []
    with tracker if tracker else contextlib.nullcontext():
        if tracker:
            tracker.log_params({**config_to_dict(config), "crossval.by": by, "crossval.folds": folds or "auto",
                                "crossval.inner_validation": inner_validation})
        for fold, train_index, test_index, kept in leave_one_group_out(prepared.y, assignment):
            log(f"fold {fold}: training on {len(train_index)} frames, testing on {len(test_index)}")
            result, y_true, y_pred = _run_fold(config, prepared, class_names, fold, train_index, test_index, kept,
                                               assignment, root.path, verbose, inner_validation)
            results.append(result)
            pooled_true.append(y_true)
            pooled_pred.append(y_pred)
            log(f"fold {fold}: accuracy {result.accuracy:.2%} (epoch {result.scored_epoch} scored)")
            if tracker:
                tracker.log_metrics({f"fold_{fold}_accuracy": result.accuracy})
        summary = _summary(results, np.concatenate(pooled_true), np.concatenate(pooled_pred), class_names, by)
        summary["inner_validation"] = inner_validation
        root.write_json("crossval.json", summary)
        plot_confusion_matrix(np.asarray(summary["pooled"]["confusion_matrix"]), class_names,
                              root.path / "confusion_matrix_crossval.png",
                              title=f"cross-validation by {by}, pooled folds")
        if tracker:
            tracker.log_metrics({"crossval_mean_accuracy": summary["mean_accuracy"],
                                 "crossval_pooled_accuracy": summary["pooled"]["accuracy"]})
            tracker.log_artifacts(root.path)
    summary["folder"] = str(root.path)
    return summary


def _run_fold(config, prepared, class_names, fold, train_index, test_index, kept, assignment, root: Path,
              verbose, inner_split):
    seed_everything(config)
    train_part = take_frames(prepared, train_index)
    if inner_split == "none":  # the whole training part trains; the last epoch is scored
        inner = SplitResult(np.arange(len(train_part.y)), np.zeros(0, int), {"mode": "none"})
    else:
        inner = split_indices(train_part.y, train_part.sessions, train_part.users, inner_split,
                              config.dataset.validation_split, config.general.global_seed)
    test = take_frames(prepared, test_index)
    splits = Splits(class_names, take_frames(train_part, inner.train_index), take_frames(train_part, inner.val_index), test,
                    False, inner.manifest, {})
    folder = create_run_folder(config, str(root / f"fold_{fold}"))
    folder.write_json("split_manifest.json", {"test_groups": sorted(set(assignment[test_index].tolist())),
                                              "kept_in_training": [class_names[k] for k in kept],
                                              "inner_validation": inner.manifest})
    model = model_for_config(config, len(class_names))
    compile_model(model, config, len(class_names))
    history = fit(model, splits, config, folder, None, verbose, select_best=inner_split != "none")
    best = keras.models.load_model(folder.best_model, compile=False)
    y_pred = predict_classes(best, test.x)
    accuracy = float(np.mean(y_pred == test.y)) if len(test.y) else float("nan")
    result = FoldResult(fold, sorted(set(assignment[test_index].tolist())), len(train_index), len(test_index),
                        accuracy, [class_names[k] for k in kept],
                        int(np.argmax(history["val_accuracy"])) + 1 if "val_accuracy" in history
                        else len(history["loss"]))
    return result, test.y, y_pred


def _summary(results: list[FoldResult], y_true, y_pred, class_names, by: str) -> dict:
    accuracies = np.array([r.accuracy for r in results])
    return {"by": by, "folds": [r.__dict__ for r in results],
            "mean_accuracy": float(accuracies.mean()), "std_accuracy": float(accuracies.std()),
            "pooled": classification_metrics(y_true, y_pred, class_names)}


def crossval_table(summary: dict) -> str:
    rows = [[f["name"], ", ".join(f["test_groups"]) if summary["by"] != "user" or f["name"].startswith("fold")
             else f["name"], f["train_frames"], f["test_frames"], _fold_cell(f),
             ", ".join(f["kept_in_training"]) or "-"] for f in summary["folds"]]
    rows.append(["mean ± std", "", "", "", f"{_percent(summary['mean_accuracy'])} ± "
                 f"{_percent(summary['std_accuracy'])}", ""])
    pooled = summary["pooled"]
    rows.append(["pooled", "", "", sum(f["test_frames"] for f in summary["folds"]),
                 accuracy_cell(int(np.trace(np.asarray(pooled["confusion_matrix"]))), pooled["samples"])
                 if pooled.get("samples") else "n/a", ""])
    headers = ["fold", "held out", "train frames", "test frames", "accuracy (95 % CI, Wilson)",
               "kept in training (single-group class)"]
    return tabulate(rows, headers=headers, tablefmt="github")


def _fold_cell(fold: dict) -> str:
    if not fold["test_frames"] or fold["accuracy"] is None or fold["accuracy"] != fold["accuracy"]:
        return "n/a"
    return accuracy_cell(round(fold["accuracy"] * fold["test_frames"]), fold["test_frames"])


def _percent(value) -> str:
    """A fold without test frames has no accuracy: "n/a", not "nan%"."""
    return "n/a" if value is None or value != value else f"{value:.2%}"
