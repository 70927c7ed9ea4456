"""Helpers of the bad-input tests: run the real CLI, a small ST-layout dataset, configs.

Every bad input must end in one line on stderr that names the file and the key or frame,
exit code 2, no traceback, within seconds (``timeout`` bounds "seconds"). The CLI's ``main()`` runs in the test's
process (tests/cli_runner.py: TensorFlow is imported once, not once per case); ``process=True`` and every case
run as another user start a real ``python -m training`` for the process boundary.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import write_session_file

REPO = Path(__file__).resolve().parents[2]
CLASSES = ["Like", "Fist"]  # ST ids 21, 32
SESSION = "log__{cls}__User1__1__VL53L8__handposture_api__8x8__20230101_000000"


def run_cli(*args, timeout: float = 60, user: str | None = None, cwd: Path | None = None,
            process: bool = False) -> subprocess.CompletedProcess:
    """``python -m training ARGS``: its ``main()`` in this process, or (``process``, or ``user``: as that user
    through setpriv, for permission tests) a real subprocess."""
    if user is None and not process:
        from tests.cli_runner import run_main
        from training.cli import main

        return run_main(main, [str(a) for a in args], cwd=cwd, timeout=timeout)
    command = [sys.executable, "-m", "training", *map(str, args)]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups", *command]
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd or REPO, env=env)


def assert_user_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit code 2, exactly one line on stderr, no traceback, and every needle in that line."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, f"exit {result.returncode}; stderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def frames(t: int = 4, distance: float = 200.0):
    return np.full((t, 64), distance), np.full((t, 64), 300.0), np.full((t, 64), 5.0)


def session_dir(root: Path, cls: str) -> Path:
    return root / cls / SESSION.format(cls=cls) / "npz"


@pytest.fixture
def dataset(tmp_path) -> Path:
    """Like and Fist, one session each, one good file each."""
    root = tmp_path / "dataset"
    for cls, label in (("Like", 21), ("Fist", 32)):
        write_session_file(session_dir(root, cls) / "data_1.npz", *frames(), [label] * 4)
    return root


def write_config(path: Path, dataset_root: Path, extra: str = "", training: str = "") -> Path:
    path.write_text(f"""dataset:
  class_names: [Like, Fist]
  training_path: {dataset_root}
  validation_split: 0.5
training:
  model:
    name: CNN2D_ST_HandPosture
    input_shape: (8, 8, 2)
  batch_size: 4
  epochs: 1
  optimizer:
    Adam:
      learning_rate: 0.01
{training}{extra}""")
    return path


@pytest.fixture
def config(tmp_path, dataset) -> Path:
    return write_config(tmp_path / "config.yaml", dataset)
