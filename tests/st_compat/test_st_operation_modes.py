"""ST's files through ``python -m training``: info for all ten, and ``run`` in each of ST's operation modes
(evaluation with test_path alone through ST's command-line shape, deployment to a NUCLEO that is not attached,
benchmarking against the fake ST cloud client). In-process (``training.cli.main``) where the process boundary
is not the point; deployment and benchmarking call ``python -m hil`` as they always do."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.st_compat.fake_cloud import use_fake_cloud
from training.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "st_configs"
ALL_FILES = sorted(FIXTURES.glob("gen_*/*.yaml"))


@pytest.fixture(scope="module")
def st_data(tmp_path_factory) -> Path:
    from training.data.synth import generate_synthetic_dataset

    root = tmp_path_factory.mktemp("st_modes")
    generate_synthetic_dataset(root / "data", ["None", "Like", "Fist", "FlatHand"], users=2, sessions_per_user=2,
                               files_per_session=1, frames_per_file=30, seed=3)
    return root


@pytest.fixture(scope="module")
def keras_model(st_data) -> Path:
    from training.models.cnn2d_st import build_cnn2d_st_handposture

    path = st_data / "model.keras"
    build_cnn2d_st_handposture(4).save(path)  # untrained: the modes' plumbing is tested, not accuracy
    return path


@pytest.fixture
def st_env(st_data, tmp_path, monkeypatch):
    monkeypatch.setenv("ST_FIXTURE_DATA", str(st_data / "data"))
    monkeypatch.setenv("ST_FIXTURE_MODEL", str(st_data / "model.keras"))
    monkeypatch.setenv("ST_FIXTURE_OUT", str(tmp_path / "out"))
    return tmp_path


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_info_reads_every_st_file(path, st_env, capsys):
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "total" in out or "no dataset folder" in out


@pytest.mark.parametrize("generation", ["gen_46924c0", "gen_4x"])
def test_evaluation_with_test_path_alone_through_st_command_line(generation, st_env, keras_model, capsys):
    code = main(["run", "--config-path", str(FIXTURES / generation), "--config-name", "evaluation_config.yaml",
                 f"hydra.run.dir={st_env / 'eval'}"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "operation_mode: evaluation" in out and "test accuracy" in out
    report = json.loads((st_env / "eval" / "evaluation.json").read_text())
    assert report["split"] == "test" and report["model"] == str(keras_model)


def test_deployment_to_an_absent_nucleo_is_the_doctors_diagnosis(st_env, keras_model, capsys):
    out_dir = st_env / "deployment"
    code = main(["run", str(FIXTURES / "gen_4x/deployment_config.yaml"), "--output-dir", str(out_dir),
                 "export.footprint=false", f"dataset.training_path={keras_model.parent / 'data'}"])
    captured = capsys.readouterr()
    assert code == 2, captured.out + captured.err
    assert "hil doctor: nucleo-f401re" in captured.out and "USB devices" in captured.out
    assert captured.err.strip().splitlines()[-1].startswith("error: nucleo-f401re: the board did not answer")
    assert (out_dir / "export" / "firmware" / "nucleo-f401re" / "Makefile").is_file()  # the built project, kept


def test_deployment_to_an_st_board_without_a_board_file_is_one_line(st_env, keras_model, capsys):
    code = main(["run", str(FIXTURES / "gen_46924c0/deployment_config.yaml"),
                 "deployment.hardware_setup.board=STM32H747I-DISCO"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert "'STM32H747I-DISCO' has no board file here; boards: " in err[-1] and "nucleo-f401re" in err[-1]


@pytest.fixture
def fake_run(tmp_path) -> Path:
    """A run folder as ``python -m hil benchmark`` reads it (the fake cloud never opens the models)."""
    run = tmp_path / "run"
    (run / "saved_models").mkdir(parents=True)
    (run / "saved_models" / "best_model.keras").write_bytes(b"float model bytes")
    (run / "export").mkdir()
    (run / "export" / "model_int8.tflite").write_bytes(b"int8 model bytes")
    (run / "export" / "model_report.json").write_text(json.dumps({"footprint": {"flash_bytes": 7000}}))
    return run


@pytest.fixture
def fake_cloud(monkeypatch):
    use_fake_cloud(monkeypatch, "f971224")


@pytest.mark.parametrize("generation", ["gen_46924c0", "gen_4x"])
def test_benchmarking_on_st_cloud_through_hil_benchmark(generation, st_env, fake_run, fake_cloud, capfd):
    key = "general.model_path" if generation == "gen_46924c0" else "model.model_path"
    code = main(["run", str(FIXTURES / generation / "benchmarking_config.yaml"), f"{key}={fake_run}",
                 "--output-dir", str(st_env / "bench")])
    out = capfd.readouterr().out
    assert code == 0, out
    assert "python -m hil benchmark" in out and "--backend st-cloud --st-board NUCLEO-F401RE" in out
    assert (st_env / "bench" / "st_cloud_results.json").is_file()


def test_benchmarking_without_st_client_or_local_tool_is_one_line(st_env, fake_run, monkeypatch, capfd):
    monkeypatch.setenv("PYTHONPATH", ":".join(p for p in sys.path if p))  # no fake client
    code = main(["run", str(FIXTURES / "gen_4x/benchmarking_config.yaml"), f"model.model_path={fake_run}"])
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2 and "stm32ai_dc" in err[-1] and "STM32AI_USERNAME" in err[-1]
    code = main(["run", str(FIXTURES / "gen_4x/benchmarking_config.yaml"), f"model.model_path={fake_run}",
                 "tools.stedgeai.on_cloud=false"])
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2 and "tools.stedgeai.path_to_stedgeai" in err[-1] and "is not a file" in err[-1]


@pytest.mark.parametrize("generation", ["gen_46924c0", "gen_4x"])
def test_training_from_each_generations_user_config(generation, st_env, capsys):
    code = main(["run", str(FIXTURES / generation / "user_config.yaml"), "training.epochs=1", "--quiet",
                 "--output-dir", str(st_env / "run"), "data_augmentation=null", "training.callbacks=null"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "not used here" in captured.err and "general.gpu_memory_limit" in captured.err
    assert (st_env / "run" / "saved_models" / "best_model.keras").is_file()
    if generation == "gen_46924c0":  # training.trained_model_path: the best model copied there too
        assert (st_env / "out" / "trained.keras").is_file()
