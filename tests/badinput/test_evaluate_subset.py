"""Issue 7: ``evaluate`` on a test set holding only some of the classes, chosen with a section.key=value override."""
from __future__ import annotations

import json

import pytest

from tests.badinput.conftest import frames, run_cli, session_dir
from tests.conftest import write_session_file


@pytest.fixture
def model_file(tmp_path):
    import keras

    from training.models.cnn2d_st import build_cnn2d_st_handposture

    keras.utils.set_random_seed(0)
    path = tmp_path / "model.keras"
    build_cnn2d_st_handposture(2, (8, 8, 2), 0.0).save(path)
    return path


def test_evaluate_a_test_set_without_some_classes(tmp_path, config, model_file):
    new_user = tmp_path / "new_user"
    write_session_file(session_dir(new_user, "Like") / "data_1.npz", *frames(6), [21] * 6)
    out = tmp_path / "evaluation"
    result = run_cli("evaluate", config, "--model", model_file, f"dataset.test_path={new_user}",
                     "--output-dir", out, timeout=120)
    assert result.returncode == 0, result.stderr
    fist_row = next(line for line in result.stdout.splitlines() if line.startswith("| Fist"))
    assert "no samples" in fist_row
    report = json.loads((out / "evaluation.json").read_text())
    assert report["split"] == "test" and report["classes_without_samples"] == ["Fist"]
    assert report["metrics"]["frames"] == 6


def test_a_training_set_without_a_class_is_still_an_error(tmp_path, model_file):
    from tests.badinput.conftest import assert_user_error, write_config

    root = tmp_path / "only_like"
    write_session_file(session_dir(root, "Like") / "data_1.npz", *frames(), [21] * 4)
    config = write_config(tmp_path / "c.yaml", root)
    assert_user_error(run_cli("info", config), "no folder for class 'Fist'")


@pytest.mark.parametrize("argv", [
    ["evaluate", "c.yaml", "dataset.test_path=/new", "--model", "m.keras"],
    ["evaluate", "c.yaml", "--model", "m.keras", "dataset.test_path=/new"],
    ["train", "c.yaml", "--quiet", "dataset.test_path=/new"],
])
def test_overrides_before_or_after_options(argv):
    from training.cli import parse_arguments

    assert parse_arguments(argv).overrides == ["dataset.test_path=/new"]


def test_an_unknown_option_is_still_refused(capsys):
    from training.cli import parse_arguments

    with pytest.raises(SystemExit) as exit_info:
        parse_arguments(["evaluate", "c.yaml", "--model", "m.keras", "--bogus"])
    assert exit_info.value.code == 2 and "--bogus" in capsys.readouterr().err
