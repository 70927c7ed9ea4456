"""Shared fixtures: small ST-layout datasets made on the fly, the shared dataset, tools."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

EIGHT_CLASSES = ["None", "Like", "Dislike", "FlatHand", "Fist", "Love", "BreakTime", "CrossHands"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, why: str) -> None:
    """A missing prerequisite is a skip on a laptop and a failure in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{why} (required in CI)")
    pytest.skip(why)


@pytest.fixture(scope="session")
def shared_dataset() -> Path:
    value = os.environ.get("HANDPOSTURE_DATASET")
    require(bool(value) and Path(value).is_dir(),
            f"HANDPOSTURE_DATASET does not point at ST's dataset (got {value!r})")
    return Path(value)


@pytest.fixture(scope="session")
def synth_dataset(tmp_path_factory) -> Path:
    """Four classes, two users, two sessions each: enough to train and split, seconds to make."""
    from training.data.synth import generate_synthetic_dataset

    root = tmp_path_factory.mktemp("synth") / "dataset"
    generate_synthetic_dataset(root, ["None", "Like", "Fist", "FlatHand"], users=2, sessions_per_user=2,
                               files_per_session=2, frames_per_file=30, seed=7)
    return root


def write_session_file(path: Path, distance, signal, status, labels, **overrides) -> Path:
    """An ST .npz file from (T, 64) arrays; ``overrides`` replace or (value None) remove keys."""
    distance, signal, status = (np.asarray(a, np.float64) for a in (distance, signal, status))
    zone_data = np.stack([status.T, np.ones_like(status.T), signal.T, distance.T])
    content = {
        "zone_data": zone_data,
        "zone_head": np.array(["target_status", "valid", "signal_per_spad", "distance_mm"]),
        "glob_data": np.asarray(labels, np.float64)[None, :],
        "glob_head": np.array([".GestureGT"]),
        "start_tstmp": np.float64(0.0),
        "end_tstmp": np.float64(1.0),
    }
    for key, value in overrides.items():
        if value is None:
            content.pop(key, None)
        else:
            content[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **content)
    return path


@pytest.fixture
def tiny_config(tmp_path, synth_dataset) -> Path:
    """A fast training config over the synthetic dataset."""
    path = tmp_path / "tiny.yaml"
    path.write_text(f"""
general:
  project_name: tiny
  deterministic_ops: true
  global_seed: 3
dataset:
  class_names: [None, Like, Fist, FlatHand]
  training_path: {synth_dataset}
  validation_split: 0.5
preprocessing:
  normalization: hand_relative
data_augmentation:
  random_flip:
    mode: horizontal
training:
  model:
    name: CNN2D_ST_HandPosture
    version: v1
    input_shape: (8, 8, 2)
  dropout: 0.1
  batch_size: 32
  epochs: 3
  optimizer:
    Adam:
      learning_rate: 0.01
""")
    return path


@pytest.fixture(scope="session")
def shipped_run(shared_dataset, tmp_path_factory):
    """configs/handposture.yaml trained once on ST's dataset; its run folder (used by dataset and export tests)."""
    from training.config import load_config
    from training.train.trainer import run_training

    config = load_config(Path(__file__).resolve().parents[1] / "configs" / "handposture.yaml")
    return run_training(config, output_dir=str(tmp_path_factory.mktemp("shipped") / "run"), verbose=0, track=False)
