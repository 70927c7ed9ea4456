"""Training options that used to fail late or destroy things: --folds, frozen_layers, BackupAndRestore."""
from __future__ import annotations

import pytest

from tests.badinput.conftest import assert_user_error, run_cli, write_config


@pytest.mark.parametrize("folds", ["1", "0", "-3"])
def test_crossval_needs_two_folds(config, folds):
    result = run_cli("crossval", config, "--by", "session", "--folds", folds, timeout=20)
    assert_user_error(result, f"crossval --folds {folds}", "at least 2 folds")


def test_crossval_by_session_with_one_session_per_class(tmp_path, config):
    result = run_cli("crossval", config, "--by", "session", "--output-dir", tmp_path / "cv", timeout=120)
    assert_user_error(result, "every class has a single session")


def test_frozen_layer_outside_the_model_fails_before_data_and_folders(tmp_path):
    config = write_config(tmp_path / "c.yaml", tmp_path / "no-such-dataset", training="  frozen_layers: (0, 99)\n")
    run = tmp_path / "run"
    result = run_cli("train", config, "--output-dir", run, timeout=120)
    assert_user_error(result, str(config), "training.frozen_layers: index 99", "outside the model's")
    assert not run.exists()


def test_backup_dir_that_holds_other_files_is_refused(tmp_path, config):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work\n")
    text = config.read_text() + f"  callbacks:\n    BackupAndRestore:\n      backup_dir: {precious}\n"
    config.write_text(text)
    result = run_cli("train", config, "--output-dir", tmp_path / "run", timeout=120)
    assert_user_error(result, str(config), "training.callbacks.BackupAndRestore.backup_dir", "thesis.tex",
                      "name a new folder")
    assert (precious / "thesis.tex").read_text() == "years of work\n"


def test_backup_dir_of_an_earlier_backup_is_accepted(tmp_path):
    from training.train.callbacks import check_backup_dir

    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "latest.weights.h5").write_bytes(b"")
    (backup / "training_metadata.json").write_text("{}")
    check_backup_dir(str(backup))  # resuming: Keras' own files only
    check_backup_dir(str(tmp_path / "new"))
