"""Bad config files: each is one line naming the file (and the line or key), exit 2, within seconds."""
from __future__ import annotations

from tests.badinput.conftest import assert_user_error, run_cli, write_config


def billion_laughs() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\ndataset: {class_names: *a9, training_path: /data}\n"


def test_billion_laughs_is_refused_before_anything_walks_it(tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs())
    assert path.stat().st_size < 1500
    # a real process: if the guard failed, the expansion would take the memory of the process, not the test's
    assert_user_error(run_cli("info", path, timeout=30, process=True), str(path), "aliases", "expand to more than")


def test_a_50_mb_config_is_refused_by_its_size(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("x:\n" + "- 1\n" * (13 * 1000 * 1000))
    assert_user_error(run_cli("info", path, timeout=30), str(path), "52000003 bytes", "at most 1048576")


def test_non_utf8_byte_names_line_and_offset(tmp_path, dataset):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(f"dataset:\n  class_names: [Like, Fist]\n  training_path: {dataset}\xe9\n".encode("latin-1"))
    assert_user_error(run_cli("info", path), str(path), "line 3", "byte 0xe9", "not UTF-8")


def test_100000_nested_brackets(tmp_path):
    path = tmp_path / "nested.yaml"
    path.write_text("[" * 100_000)
    assert_user_error(run_cli("info", path), str(path), "line 1", "nested more than 32 levels")


def test_infinite_input_dimension(tmp_path, dataset):
    path = write_config(tmp_path / "c.yaml", dataset).read_text().replace("(8, 8, 2)", "[8, 8, .inf]")
    (tmp_path / "c.yaml").write_text(path)
    assert_user_error(run_cli("info", tmp_path / "c.yaml"), str(tmp_path / "c.yaml"),
                      "training.model.input_shape", "whole numbers")


def test_fractional_input_dimension_is_not_truncated(tmp_path, dataset):
    text = write_config(tmp_path / "c.yaml", dataset).read_text().replace("(8, 8, 2)", "[8, 8, 2.9]")
    (tmp_path / "c.yaml").write_text(text)
    assert_user_error(run_cli("info", tmp_path / "c.yaml"), "training.model.input_shape", "[8, 8, 2.9]")


def test_duplicated_key_is_an_error(tmp_path, dataset):
    path = write_config(tmp_path / "dup.yaml", dataset, extra="  epochs: 50\n")
    assert_user_error(run_cli("info", path), str(path), "key 'epochs' is given twice", "line 14", "first on line 10")


def test_bad_frozen_layers_fails_at_load_time(tmp_path, dataset):
    path = write_config(tmp_path / "frozen.yaml", dataset, training="  frozen_layers: (0:zz)\n")
    assert_user_error(run_cli("info", path), str(path), "training.frozen_layers", "'0:zz'")


def test_override_with_a_duplicated_key(tmp_path, config):
    assert_user_error(run_cli("info", config, "training.optimizer={Adam: 1, Adam: 2}"),
                      str(config), "override", "'Adam' is given twice")
