"""Shared fixtures: small ST-layout datasets made on the fly, the shared dataset, tools."""
from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

EIGHT_CLASSES = ["None", "Like", "Dislike", "FlatHand", "Fist", "Love", "BreakTime", "CrossHands"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config):
    """A pytest-xdist worker starts with SIGINT ignored (Ctrl-C is the controller's), and a process started with
    SIGINT ignored keeps it ignored, children included: the Ctrl-C tests would then see no KeyboardInterrupt and
    their `hil run` children would not stop. Workers get Python's own handler back, as a plain pytest has."""
    if hasattr(config, "workerinput"):
        signal.signal(signal.SIGINT, signal.default_int_handler)


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
def synth_dataset() -> Path:
    """Four classes, two users, two sessions each: enough to train and split, seconds to make. Shared, made
    once (tests/shared_runs.py): a test must not write into it."""
    from tests.shared_runs import synthetic_dataset

    return synthetic_dataset()


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


@dataclass(frozen=True)
class SharedRun:
    """A run folder shared by the whole suite (read it; copy it with ``tests.shared_runs.private_copy`` to
    change it) and its ``metrics.json``."""

    path: Path

    @property
    def metrics(self) -> dict:
        return json.loads((self.path / "metrics.json").read_text())


@pytest.fixture(scope="session")
def shipped_run(shared_dataset) -> SharedRun:
    """configs/handposture.yaml trained on ST's dataset, exported, firmware built for every board: made once per
    source tree and dataset (tests/shared_runs.py) and shared by the dataset, export, HIL and bad-input tests."""
    from tests.shared_runs import shipped_run as make_shipped_run

    return SharedRun(make_shipped_run(shared_dataset))
