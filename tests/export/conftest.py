"""Fixtures of the export tests: compilers (a failure in CI, a skip elsewhere), and a
the run folder of the shipped config trained on ST's dataset."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CLASS_NAMES = ["None", "FlatHand", "Like", "Love", "Dislike", "BreakTime", "CrossHands", "Fist"]


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install gcc gcc-arm-none-eabi libnewlib-arm-none-eabi)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def host_cc() -> str:
    return require_tool("gcc")


@pytest.fixture(scope="session")
def arm_cc() -> str:
    require_tool("arm-none-eabi-size")
    return require_tool("arm-none-eabi-gcc")


@pytest.fixture(scope="session")
def dataset_root(shared_dataset) -> Path:
    """HANDPOSTURE_DATASET, checked by the suite-wide ``shared_dataset`` fixture (fails in CI if unset)."""
    return shared_dataset


@pytest.fixture(scope="session")
def frame_table(dataset_root):
    from training.data.dataset import load_frame_table

    return load_frame_table(dataset_root, CLASS_NAMES)


@pytest.fixture(scope="session")
def trained_run_dir(shipped_run) -> Path:
    """The run folder of configs/handposture.yaml trained on ST's dataset (tests/conftest.py)."""
    return shipped_run.path
