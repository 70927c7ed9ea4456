"""From a config to the training, validation and test splits every command uses.

``train``, ``evaluate``, ``crossval`` and ``export`` all go through
:func:`load_splits`, so the same config always yields the same split (fixed
seed, sorted names) and the exporter's representative set is drawn from the
very training split the model saw.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.config.schema import Config
from training.data.dataset import (FrameTable, PreparedSplit, dataset_fingerprint, load_frame_table, prepare)
from training.data.preprocess import PreprocessingSpec
from training.data.splits import split_indices


@dataclass
class Splits:
    class_names: list[str]
    train: PreparedSplit
    validation: PreparedSplit
    test: PreparedSplit
    test_is_validation: bool
    manifest: dict
    fingerprint: dict

    def named(self) -> dict[str, PreparedSplit]:
        named = {"training": self.train, "validation": self.validation}
        if not self.test_is_validation:
            named["test"] = self.test
        return named


def preprocessing_spec(config: Config) -> PreprocessingSpec:
    p = config.preprocessing
    return PreprocessingSpec(p.Max_distance, p.Min_distance, p.Background_distance, p.normalization, p.center_hand)


def load_table(config: Config, path: str, skip_bad_files: bool = False, require_all_classes: bool = True) -> FrameTable:
    return load_frame_table(Path(path), config.dataset.class_names, skip_bad_files=skip_bad_files,
                            require_all_classes=require_all_classes)


def load_test_table(config: Config, skip_bad_files: bool = False) -> FrameTable:
    """``dataset.test_path``: it may hold only some of the classes (recordings of new users, for instance)."""
    return load_table(config, config.dataset.test_path, skip_bad_files, require_all_classes=False)


def fingerprint_of(table: FrameTable) -> dict:
    return dataset_fingerprint(table.session_infos, table.root, table.skipped_paths)


def load_splits(config: Config, skip_bad_files: bool = False) -> Splits:
    spec = preprocessing_spec(config)
    dataset = config.dataset
    table = load_table(config, dataset.training_path, skip_bad_files)
    prepared = prepare(table, spec)
    fingerprints = {"training": fingerprint_of(table)}
    if dataset.validation_path:
        val_table = load_table(config, dataset.validation_path, skip_bad_files)
        train, validation = prepared, prepare(val_table, spec)
        fingerprints["validation"] = fingerprint_of(val_table)
        manifest = {"mode": "validation_path", "validation_path": dataset.validation_path,
                    "sessions": {**{s: "training" for s in sorted(set(train.sessions))},
                                 **{s: "validation" for s in sorted(set(validation.sessions))}}}
    else:
        split = split_indices(prepared.y, prepared.sessions, prepared.users, dataset.split_by,
                              dataset.validation_split, config.general.global_seed)
        train, validation = take_frames(prepared, split.train_index), take_frames(prepared, split.val_index)
        manifest = split.manifest
    if dataset.test_path:
        test_table = load_test_table(config, skip_bad_files)
        test = prepare(test_table, spec)
        fingerprints["test"] = fingerprint_of(test_table)
        manifest["test_sessions"] = sorted(set(test.sessions))
        manifest["test_classes_without_folder"] = test_table.missing_classes
    else:
        test = validation
    manifest["frames"] = {"training": int(len(train.y)), "validation": int(len(validation.y)),
                          "test": int(len(test.y))}
    manifest["skipped_files"] = table.skipped_files
    return Splits(table.class_names, train, validation, test, not dataset.test_path, manifest, fingerprints)


def take_frames(split: PreparedSplit, index: np.ndarray) -> PreparedSplit:
    return PreparedSplit(split.x[index], split.y[index], split.sessions[index], split.users[index],
                         split.raw.subset(index))
