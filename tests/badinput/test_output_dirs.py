"""--output-dir that is a file, cannot be created, or holds a finished run: refused in a second, before any data."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.badinput.conftest import assert_user_error, run_cli, write_config
from tests.conftest import require


@pytest.fixture
def no_data_config(tmp_path):
    """A config whose dataset does not exist: an output error must come first, before any data is read."""
    return write_config(tmp_path / "c.yaml", tmp_path / "no-such-dataset")


@pytest.mark.parametrize("command", [["train"], ["evaluate", "--model", "m.keras"], ["crossval"]])
def test_output_dir_that_is_a_file(tmp_path, no_data_config, command):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    result = run_cli(command[0], no_data_config, *command[1:], "--output-dir", target, timeout=20)
    assert_user_error(result, f"--output-dir {target}", "exists and is not a folder")


def test_export_output_dir_that_is_a_file(tmp_path):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    result = run_cli("export", tmp_path / "model_int8.tflite", "--output-dir", target, timeout=20)
    assert_user_error(result, f"--output-dir {target}", "exists and is not a folder")


def test_output_dir_below_a_file_cannot_be_created(tmp_path, no_data_config):
    (tmp_path / "file").write_text("x")
    result = run_cli("train", no_data_config, "--output-dir", tmp_path / "file" / "run", timeout=20)
    assert_user_error(result, "cannot be created", f"{tmp_path / 'file'} is a file")


def test_output_dir_without_permission_as_a_non_root_user():
    require(shutil.which("setpriv") is not None and os.geteuid() == 0, "needs setpriv and root to run as nobody")
    top = Path(tempfile.mkdtemp(prefix="badinput-out-"))  # pytest's tmp_path is private to root
    try:
        top.chmod(0o755)
        config = write_config(top / "c.yaml", top / "no-such-dataset")
        config.chmod(0o644)
        result = run_cli("train", config, "--output-dir", "/root/run", user="nobody", timeout=20)
        assert_user_error(result, "--output-dir /root/run", "Permission denied")
    finally:
        shutil.rmtree(top)


def finished_run(folder):
    folder.mkdir()
    (folder / "config.yaml").write_text("# a finished run\n")
    (folder / "metrics.json").write_text("{}\n")
    return folder


@pytest.mark.parametrize("command", [["train"], ["evaluate", "--model", "m.keras"], ["crossval"]])
def test_finished_run_folder_is_not_overwritten(tmp_path, no_data_config, command):
    run = finished_run(tmp_path / "run")
    result = run_cli(command[0], no_data_config, *command[1:], "--output-dir", run, timeout=20)
    assert_user_error(result, f"--output-dir {run}", "holds a finished run (config.yaml, metrics.json)",
                      "--overwrite")
    assert (run / "config.yaml").read_text() == "# a finished run\n"


def test_overwrite_lets_the_run_go_on(tmp_path, no_data_config):
    run = finished_run(tmp_path / "run")
    result = run_cli("train", no_data_config, "--output-dir", run, "--overwrite", timeout=60)
    assert_user_error(result, "no-such-dataset")  # past the folder check, stopped by the missing data
    assert (run / "config.yaml").read_text() == "# a finished run\n"  # nothing written before the data loaded
