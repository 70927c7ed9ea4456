"""One training run: config -> splits -> model -> fit -> best model -> metrics and artefacts.

The run folder is written as the run goes (config and split manifest first, the
best model at every improvement), so an interrupted or failed run still leaves
everything it had computed.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import keras
import numpy as np

from training.config.loader import config_to_dict, save_resolved_config
from training.config.schema import Config
from training.data.augment import AugmentedSequence, RawAugmenter
from training.errors import ConfigError, DatasetError
from training.models.factory import model_for_config
from tofhil.plots import plot_training_curves
from training.train.callbacks import build_config_callbacks
from training.train.data_setup import Splits, load_splits, preprocessing_spec
from training.train.calibrate import calibrate
from training.train.evaluation import evaluate_splits
from training.train.optimizers import build_optimizer
from training.train.run_folder import RunFolderWriter, check_output_dir, create_run_folder
from training.train.tracking import MlflowTracker


@dataclass
class TrainingResult:
    folder: RunFolderWriter
    metrics: dict
    history: dict
    model: keras.Model


def seed_everything(config: Config) -> None:
    keras.utils.set_random_seed(config.general.global_seed)
    if config.general.deterministic_ops:
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()


def compile_model(model: keras.Model, config: Config, num_classes: int) -> None:
    smoothing = config.training.label_smoothing
    if num_classes == 2:
        loss = keras.losses.BinaryCrossentropy(label_smoothing=smoothing)
        metric = keras.metrics.BinaryAccuracy(name="accuracy")
    else:
        loss = _sparse_loss(num_classes, smoothing)
        metric = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
    model.compile(optimizer=build_optimizer(config.training.optimizer), loss=loss, metrics=[metric])


def _sparse_loss(num_classes: int, smoothing: float):
    if not smoothing:
        return keras.losses.SparseCategoricalCrossentropy()

    def smoothed_sparse_crossentropy(y_true, y_pred):
        labels = keras.ops.one_hot(keras.ops.reshape(keras.ops.cast(y_true, "int32"), (-1,)), num_classes)
        return keras.losses.categorical_crossentropy(labels, y_pred, label_smoothing=smoothing)

    return smoothed_sparse_crossentropy


def training_source(splits: Splits, config: Config, seed: int) -> AugmentedSequence:
    """Training batches, re-augmented every epoch from the raw frames (training split only)."""
    spec = preprocessing_spec(config)
    augmenter = RawAugmenter.from_config(config.data_augmentation, spec)
    return AugmentedSequence(splits.train.raw, splits.train.y, spec, augmenter,
                             batch_size=config.training.batch_size, seed=seed,
                             class_weight=config.training.class_weight)


def fit(model: keras.Model, splits: Splits, config: Config, folder: RunFolderWriter, tracker: MlflowTracker | None,
        verbose: int = 2, select_best: bool = True) -> dict:
    """Train; keep the best epoch by val_accuracy, or (``select_best=False``, no validation) the last one."""
    if select_best and len(splits.validation.y) == 0:
        raise DatasetError("the validation split is empty: lower dataset.validation_split's granularity "
                           "(more sessions) or give dataset.validation_path")
    checkpoint = [keras.callbacks.ModelCheckpoint(folder.best_model, monitor="val_accuracy", mode="max",
                                                  save_best_only=True)] if select_best else []
    callbacks = [
        *checkpoint,
        keras.callbacks.TensorBoard(log_dir=str(folder.logs), write_graph=False),
        keras.callbacks.CSVLogger(str(folder.path / "training_log.csv")),
        *build_config_callbacks(config.training.callbacks),
    ]
    if tracker is not None:
        callbacks.append(tracker.epoch_callback())
    validation = (splits.validation.x, splits.validation.y) if len(splits.validation.y) else None
    history = model.fit(training_source(splits, config, config.general.global_seed), validation_data=validation,
                        epochs=config.training.epochs, callbacks=callbacks, verbose=verbose)
    if not select_best:
        model.save(folder.best_model)
    return {k: [float(v) for v in values] for k, values in history.history.items()}


def preflight(config: Config) -> keras.Model:
    """Check what only Keras can check (optimizer, callbacks, augmentations, the model and its frozen layers)
    before any data is read or any folder made; the model is returned, built but not compiled."""
    try:
        build_optimizer(config.training.optimizer)
        build_config_callbacks(config.training.callbacks)
        RawAugmenter.from_config(config.data_augmentation, preprocessing_spec(config))
        return model_for_config(config, len(config.dataset.class_names))
    except ConfigError as exc:
        if str(exc).startswith(config.source):
            raise
        raise ConfigError(f"{config.source}: {exc}") from exc


def run_training(config: Config, output_dir: str | None = None, skip_bad_files: bool = False,
                 verbose: int = 2, track: bool = True, overwrite: bool = False) -> TrainingResult:
    if output_dir:
        check_output_dir(output_dir, overwrite)
    seed_everything(config)
    model = preflight(config)
    splits = load_splits(config, skip_bad_files)
    folder = create_run_folder(config, output_dir, overwrite=overwrite)
    save_resolved_config(config, folder.path / "config.yaml")
    folder.write_json("split_manifest.json", splits.manifest)
    folder.write_json("dataset_fingerprint.json", splits.fingerprint)
    compile_model(model, config, len(splits.class_names))
    tracker = MlflowTracker(config.mlflow.uri, folder.experiments_root, config.general.project_name,
                            folder.path.name) if track else None
    with tracker if tracker else contextlib.nullcontext():
        if tracker:
            tracker.log_params(config_to_dict(config))
            tracker.set_tags({"run_folder": folder.path, "dataset_sha256": splits.fingerprint["training"]["sha256"],
                              "split_by": config.dataset.split_by})
        started = time.perf_counter()
        history = fit(model, splits, config, folder, tracker, verbose)
        elapsed = time.perf_counter() - started
        best = keras.models.load_model(folder.best_model, compile=False)
        calibration = None
        if config.training.calibration == "temperature":
            # fitted on the validation split (the split the best epoch was picked on), folded into the model
            calibration = calibrate(best, splits.validation.x, splits.validation.y,
                                    config.training.calibration_temperature)
            best.save(folder.best_model)
        best.save(folder.saved_models / "best_model.h5")
        metrics = {
            "class_names": splits.class_names,
            "test_set": "validation set (no dataset.test_path given)" if splits.test_is_validation
            else config.dataset.test_path,
            "split_by": config.dataset.split_by,
            "epochs_run": len(history.get("loss", [])),
            "best_epoch": int(np.argmax(history["val_accuracy"])) + 1,
            "training_time_s": round(elapsed, 2),
            "parameters": int(best.count_params()),
            "splits": evaluate_splits(best, splits.named(), splits.class_names, folder.path),
        }
        if calibration is not None:
            metrics["calibration"] = calibration
        folder.write_json("metrics.json", metrics)
        plot_training_curves(history, folder.path / "training_curves.png")
        if tracker:
            tracker.log_metrics({f"final_{split}_accuracy": m["accuracy"] for split, m in metrics["splits"].items()})
            tracker.log_artifacts(folder.path)
    return TrainingResult(folder, metrics, history, best)
