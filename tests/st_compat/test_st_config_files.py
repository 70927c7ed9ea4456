"""ST's two config generations load unchanged (our own fixture files with every key ST documents), and a
misspelt key still names the nearest real one. No TensorFlow here: the loader alone."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from training.config import config_to_dict, load_config
from training.config.st_compat import not_used_note
from training.errors import ConfigError
from training.st_cli import resolve_st_command_line
from training.st_modes import StModeError, our_board

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "st_configs"
ALL_FILES = sorted(FIXTURES.glob("gen_*/*.yaml"))
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def st_env(tmp_path, monkeypatch):
    for name, value in (("ST_FIXTURE_DATA", tmp_path / "data"), ("ST_FIXTURE_MODEL", tmp_path / "model.keras"),
                        ("ST_FIXTURE_OUT", tmp_path / "out")):
        monkeypatch.setenv(name, str(value))
    return tmp_path


def test_both_generations_have_five_files():
    assert [p.name for p in sorted(FIXTURES.glob("gen_46924c0/*.yaml"))] == [
        "benchmarking_config.yaml", "deployment_config.yaml", "evaluation_config.yaml", "training_config.yaml",
        "user_config.yaml"]
    assert len(list(FIXTURES.glob("gen_4x/*.yaml"))) == 5


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_st_file_loads_in_its_own_mode(path, st_env):
    config = load_config(path)
    assert config.operation_mode == path.name.split("_")[0].replace("user", "training")
    reloaded = st_env / "resolved.yaml"  # the resolved config is in one shape, and loads again
    reloaded.write_text(yaml.safe_dump(config_to_dict(config)))
    assert load_config(reloaded).general.model_path == config.general.model_path


def test_4x_model_section_maps_onto_the_typed_config(st_env):
    config = load_config(FIXTURES / "gen_4x/user_config.yaml")
    assert config.training.model.name == "CNN2D_ST_HandPosture"
    assert config.training.model.input_shape == (8, 8, 2)
    assert config.dataset.name == "fixture_dataset" and config.model is None
    evaluation = load_config(FIXTURES / "gen_4x/evaluation_config.yaml")
    assert evaluation.general.model_path == str(st_env / "model.keras")
    assert evaluation.dataset.training_path is None and evaluation.dataset.test_path == str(st_env / "data")


def test_keys_not_used_here_are_named_once(st_env):
    note = not_used_note(load_config(FIXTURES / "gen_4x/user_config.yaml"))
    assert note.count("\n") == 0 and note.count("general.gpu_memory_limit") == 1
    for key in ("general.display_figures", "tools.path_to_cubeIDE", "deployment.c_project_path", "model.framework",
                "training.resume_training", "prediction.test_files_path", "deployment.hardware_setup.serie"):
        assert key in note
    assert "benchmarking.board" not in note and "hardware_setup.board" not in note  # those are used


def test_every_not_used_key_is_in_the_readme_table(st_env):
    readme = README.read_text()
    for path in ALL_FILES:
        for key in load_config(path).not_used:
            assert f"`{key}`" in readme, key


@pytest.mark.parametrize("extra", [
    {"custom_data_augmentation": {"function_name": "mine", "config": {"a": 1}}},
    {"tools": {"stm32ai": {"version": "8.1.0", "optimization": "balanced", "on_cloud": True,
                           "path_to_stm32ai": "C:/x/stm32ai.exe"}, "path_to_cubeIDE": "C:/ide.exe"}},
    {"dataset": {"class_names": ["None", "Like"], "training_path": "d", "seed": 1}},
])
def test_other_documented_st_keys_are_accepted(extra, st_env):
    data = yaml.safe_load((FIXTURES / "gen_46924c0/training_config.yaml").read_text())
    data.update(extra)
    path = st_env / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    load_config(path)


@pytest.mark.parametrize("section,key,nearest", [("dataset", "trainig_path", "training_path"),
                                                  ("general", "gpu_memory_limt", "gpu_memory_limit"),
                                                  ("training", "resume_trainig", "resume_training"),
                                                  ("model", "modelname", "model_name")])
def test_a_misspelt_key_names_the_nearest(section, key, nearest, st_env):
    data = yaml.safe_load((FIXTURES / "gen_4x/user_config.yaml").read_text())
    data[section][key] = data[section].pop(nearest, 1)
    path = st_env / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=f"{section}: unknown key.*did you mean '{key}' -> '{nearest}'"):
        load_config(path)


def test_evaluation_needs_test_path_or_training_path(st_env):
    data = yaml.safe_load((FIXTURES / "gen_46924c0/evaluation_config.yaml").read_text())
    del data["dataset"]["test_path"]
    path = st_env / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="dataset.test_path: missing; operation_mode evaluation"):
        load_config(path)


def test_4x_model_name_and_model_path_together_are_refused_as_st_does(st_env):
    with pytest.raises(ConfigError, match="model.model_name and model.model_path are both set"):
        load_config(FIXTURES / "gen_4x/user_config.yaml", ["model.model_path=m.keras"])


def test_st_board_names_map_to_ours():
    assert our_board("NUCLEO-F401RE", "k", "c.yaml") == "nucleo-f401re"
    assert our_board("qemu-stm32f405", "k", "c.yaml") == "qemu-stm32f405"
    with pytest.raises(StModeError, match=r"'NUCLEO-H743ZI' has no board file here; boards: .*nucleo-f401re"):
        our_board("NUCLEO-H743ZI", "deployment.hardware_setup.board", "c.yaml")


def _args(config=None, overrides=(), path=None, name=None):
    return argparse.Namespace(config=config, overrides=list(overrides), config_path=path, config_name=name)


def test_st_command_line_shape(tmp_path):
    (tmp_path / "user_config.yaml").write_text("x: 1\n")
    (tmp_path / "evaluation_config.yaml").write_text("x: 1\n")
    args = _args("training.epochs=1", ["+hydra.run.dir=out"], path=str(tmp_path), name="evaluation_config.yaml")
    resolve_st_command_line(args)
    assert args.config == str(tmp_path / "evaluation_config.yaml")
    assert args.overrides == ["training.epochs=1", "hydra.run.dir=out"]
    args = _args(path=str(tmp_path))
    resolve_st_command_line(args)  # ST's default name, without .yaml
    assert args.config == str(tmp_path / "user_config.yaml")
    with pytest.raises(ConfigError, match="missing.yaml: no such config file"):
        resolve_st_command_line(_args(path=str(tmp_path), name="missing"))
    with pytest.raises(ConfigError, match="not both"):
        resolve_st_command_line(_args(str(tmp_path / "user_config.yaml"), name="user_config"))
