"""The config loader: ST's format in, typed objects out, clear errors with file and key path."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from training.config import config_to_dict, load_config, save_resolved_config
from training.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

BASE = {
    "general": {"project_name": "p"},
    "dataset": {"class_names": ["None", "Like", "Fist"], "training_path": "/data"},
    "training": {"model": {"name": "CNN2D_ST_HandPosture", "version": "v1", "input_shape": "(8, 8, 2)"},
                 "batch_size": 32, "epochs": 2, "optimizer": {"Adam": {"learning_rate": 0.01}}},
}


def write(tmp_path, data, name="c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def with_change(section, key, value, data=None):
    data = yaml.safe_load(yaml.safe_dump(data or BASE))
    data.setdefault(section, {})
    if value is KeyError:
        data[section].pop(key)
    else:
        data[section][key] = value
    return data


def test_valid_config_is_typed_and_defaulted(tmp_path):
    config = load_config(write(tmp_path, BASE))
    assert config.training.model.input_shape == (8, 8, 2)
    assert config.training.batch_size == 32
    assert config.preprocessing.Max_distance == 400
    assert config.dataset.split_by == "session"
    assert config.dataset.validation_split == 0.2


@pytest.mark.parametrize("shipped", sorted(p for p in (REPO / "configs").rglob("*.yaml") if "boards" not in p.parts),
                         ids=lambda p: p.name)
def test_shipped_configs_load(shipped, monkeypatch, tmp_path):
    monkeypatch.setenv("HANDPOSTURE_DATASET", str(tmp_path))
    config = load_config(shipped)
    assert config.dataset.training_path == str(tmp_path)


@pytest.mark.parametrize("section,key,value,expected", [
    ("general", "bogus", 1, "general: unknown key(s) ['bogus']"),
    ("training", "epochs", "ten", "training.epochs: expected a whole number"),
    ("training", "batch_size", 0, "training.batch_size: 0 is out of range"),
    ("training", "batch_size", KeyError, "training.batch_size: missing mandatory key"),
    ("training", "epochs", KeyError, "training.epochs: missing mandatory key"),
    ("training", "optimizer", KeyError, "training.optimizer: missing mandatory key"),
    ("training", "dropout", 1.5, "training.dropout: 1.5 is out of range"),
    ("dataset", "class_names", ["None", "Thumbs"], "dataset.class_names: ['Thumbs'] not in ST's class dictionary"),
    ("dataset", "split_by", "random", "dataset.split_by: 'random' is not one of"),
    ("dataset", "validation_split", 2, "dataset.validation_split: 2.0 is out of range"),
    ("preprocessing", "Max_distance", 5000, "preprocessing.Max_distance: 5000 is out of range"),
    ("preprocessing", "normalization", "zscore", "preprocessing.normalization: 'zscore' is not one of"),
    ("general", "deterministic_ops", "yes", "general.deterministic_ops: expected true or false"),
    ("general", "model_path", "m.h5", "training.model and general.model_path are both set"),
])
def test_errors_name_file_and_key(tmp_path, section, key, value, expected):
    path = write(tmp_path, with_change(section, key, value))
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_unknown_section(tmp_path):
    data = dict(BASE, extras={"a": 1})
    with pytest.raises(ConfigError, match=r"top level: unknown key\(s\) \['extras'\]"):
        load_config(write(tmp_path, data))


def test_min_must_be_below_max(tmp_path):
    data = with_change("preprocessing", "Min_distance", 500)
    with pytest.raises(ConfigError, match="Min_distance .500. must be smaller"):
        load_config(write(tmp_path, data))


def test_overrides_are_parsed_as_yaml(tmp_path):
    config = load_config(write(tmp_path, BASE), ["training.epochs=7", "training.optimizer.Adam.learning_rate=0.5",
                                                 "dataset.class_names=[None, Love]"])
    assert config.training.epochs == 7
    assert config.training.optimizer == {"Adam": {"learning_rate": 0.5}}
    assert config.dataset.class_names == ["None", "Love"]


def test_bad_override_syntax(tmp_path):
    with pytest.raises(ConfigError, match="must look like section.key=value"):
        load_config(write(tmp_path, BASE), ["training.epochs"])


def test_environment_variable_expansion(tmp_path, monkeypatch):
    data = with_change("dataset", "training_path", "${MY_DATA}/sub")
    monkeypatch.setenv("MY_DATA", "/mnt/tof")
    assert load_config(write(tmp_path, data)).dataset.training_path == "/mnt/tof/sub"
    monkeypatch.delenv("MY_DATA")
    with pytest.raises(ConfigError, match="dataset.training_path: environment variable MY_DATA is not set"):
        load_config(write(tmp_path, data))


def test_relative_paths_are_taken_from_the_config_folder(tmp_path):
    data = with_change("dataset", "training_path", "data/tof")
    (tmp_path / "sub").mkdir()
    config = load_config(write(tmp_path / "sub", data))
    assert config.dataset.training_path == str((tmp_path / "sub" / "data" / "tof").resolve())


def test_yaml_syntax_error_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("general: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path / "absent.yaml")


def test_unsafe_yaml_tags_are_rejected(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text("general: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(evil)


def test_resolved_config_round_trips(tmp_path):
    config = load_config(write(tmp_path, BASE))
    save_resolved_config(config, tmp_path / "resolved.yaml")
    again = load_config(tmp_path / "resolved.yaml")
    assert config_to_dict(again) == config_to_dict(config)


def test_export_section_defaults_and_board_names_match_the_exporter(tmp_path):
    from tofhil.boards import board_choices

    config = load_config(write(tmp_path, BASE))
    assert config.export.representative_size == 500 and config.export.board == "nucleo-f401re"
    from training.config.schema import ExportConfig
    import dataclasses
    board_field = {f.name: f for f in dataclasses.fields(ExportConfig)}["board"]
    assert sorted(board_field.metadata["choices"]) == sorted(board_choices())
    assert {"nucleo-f401re", "qemu-stm32f405", "netduinoplus2"} <= set(board_choices())


@pytest.mark.parametrize("mode", ["evaluation", "export"])
def test_modes_working_on_a_model_need_model_path(tmp_path, mode):
    data = dict(BASE, operation_mode=mode)
    with pytest.raises(ConfigError, match=f"general.model_path: missing; operation_mode {mode}"):
        load_config(write(tmp_path, data))


def test_training_mode_needs_a_training_section(tmp_path):
    data = {k: v for k, v in BASE.items() if k != "training"}
    with pytest.raises(ConfigError, match="training: missing; operation_mode training"):
        load_config(write(tmp_path, data))
