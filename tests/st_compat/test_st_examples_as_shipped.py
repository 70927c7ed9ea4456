"""ST's deployment and benchmarking examples as ST ships them (no training_path; the benchmarking one no dataset
at all) through ``python -m training run``: deployment succeeds on the emulated board (a float model calibrated on
the test set, the config's only data path; an int8 ``.tflite`` used as it is with no data path), benchmarking of a
model FILE on the fake ST cloud and the fake local ``stedgeai`` (calibrated on random inputs, said so)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.st_compat.fake_cloud import use_fake_cloud
from tests.cli_runner import run_main
from tests.conftest import require
from training.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "st_configs"
FAKES = Path(__file__).resolve().parents[1] / "fakes"
QUICK = ["export.footprint=false", "export.representative_size=50"]


@pytest.fixture(scope="module")
def models() -> dict[str, Path]:
    """A float .keras and an int8 .tflite of the same four classes as the fixture configs: the files of a shared
    trained run (tests/shared_runs.py), read as plain model files (never written: the modes copy them)."""
    from tests.shared_runs import tiny_run

    run = tiny_run(1)
    return {"keras3": run / "saved_models" / "best_model.keras", "int8_tflite": run / "export" / "model_int8.tflite"}


@pytest.fixture
def st_env(synth_dataset, models, tmp_path, monkeypatch):
    monkeypatch.setenv("ST_FIXTURE_DATA", str(synth_dataset))
    monkeypatch.setenv("ST_FIXTURE_MODEL", str(models["keras3"]))
    monkeypatch.setenv("ST_FIXTURE_OUT", str(tmp_path / "out"))
    return tmp_path


def _emulator():
    require(shutil.which("qemu-system-arm") is not None and shutil.which("arm-none-eabi-gcc") is not None,
            "qemu-system-arm or arm-none-eabi-gcc is not installed")


def test_deployment_of_a_float_model_calibrated_on_the_test_set_on_the_emulated_board(st_env, synth_dataset,
                                                                                      capfd):
    _emulator()
    out = st_env / "deployed"
    code = main(["run", str(FIXTURES / "gen_46924c0/deployment_config.yaml"), "--output-dir", str(out), *QUICK,
                 "deployment.hardware_setup.board=qemu-stm32f405", f"dataset.test_path={synth_dataset}"])
    captured = capfd.readouterr()
    assert code == 0, captured.out + captured.err
    assert "note: int8 calibration on the test set (dataset.test_path, the config's only data path)" in captured.out
    assert "deployed: qemu-stm32f405 answers with this model's sha256" in captured.out
    report = json.loads((out / "export" / "model_report.json").read_text())
    assert report["quantization"]["calibration"].startswith("test set (dataset.test_path")
    assert json.loads((out / "split_manifest.json").read_text())["mode"] == "test_path"


def test_deployment_of_an_int8_tflite_with_no_data_path_on_the_emulated_board(st_env, models, capfd):
    _emulator()
    out = st_env / "deployed"
    code = main(["run", str(FIXTURES / "gen_4x/deployment_config.yaml"), "--output-dir", str(out), *QUICK,
                 f"model.model_path={models['int8_tflite']}", "deployment.hardware_setup.board=qemu-stm32f405"])
    captured = capfd.readouterr()
    assert code == 0, captured.out + captured.err
    assert "deployed: qemu-stm32f405 answers with this model's sha256" in captured.out
    assert (out / "saved_models" / "best_model.tflite").read_bytes() == models["int8_tflite"].read_bytes()
    assert (out / "export" / "model_int8.tflite").read_bytes() == models["int8_tflite"].read_bytes()


def test_deployment_of_a_float_model_without_any_data_path_is_one_line(st_env):
    result = run_main(main, ["run", str(FIXTURES / "gen_46924c0/deployment_config.yaml"),
                             "--output-dir", str(st_env / "none")])
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "deployment_config.yaml: dataset: no training_path or test_path" in last
    assert "dataset.test_path=DIR" in last and "Traceback" not in result.stderr
    assert not (st_env / "none").exists()  # refused before any folder is made


@pytest.fixture
def fake_cloud(monkeypatch):
    use_fake_cloud(monkeypatch, "46924c0")


def _benchmark_run_folder(st_env) -> Path:
    """The run folder the benchmarking mode made for the model file (under hydra.run.dir)."""
    (folder,) = (st_env / "out").iterdir()
    return folder


def test_benchmarking_a_model_file_on_the_fake_st_cloud(st_env, fake_cloud, capfd):
    code = main(["run", str(FIXTURES / "gen_46924c0/benchmarking_config.yaml"), *QUICK,
                 "--output-dir", str(st_env / "bench")])
    out = capfd.readouterr().out
    assert code == 0, out
    assert "note: int8 calibration on the random inputs (the config has no data path)" in out
    assert "--backend st-cloud --st-board NUCLEO-F401RE --st-version 10.0.0" in out
    results = json.loads((st_env / "bench" / "st_cloud_results.json").read_text())
    assert results["status"] == "complete"
    assert results["measurements"]["int8"]["benchmark"]["cycles"] > 0
    run = _benchmark_run_folder(st_env)
    report = json.loads((run / "export" / "model_report.json").read_text())
    assert report["quantization"]["calibration"].startswith("random inputs")


def test_benchmarking_with_the_local_stedgeai(st_env, models, monkeypatch, capfd):
    """ST's 4.x example with on_cloud false, on a shared run folder (read only: the results go to --output-dir)."""
    monkeypatch.setenv("FAKE_STEDGEAI_MODE", "ok")
    run = models["keras3"].parents[1]  # the shared run folder itself: read only, results go to --output-dir
    code = main(["run", str(FIXTURES / "gen_4x/benchmarking_config.yaml"), f"model.model_path={run}",
                 "tools.stedgeai.on_cloud=false",
                 f"tools.stedgeai.path_to_stedgeai={FAKES / 'bin' / 'stedgeai'}",
                 "--output-dir", str(st_env / "local")])
    out = capfd.readouterr().out
    assert code == 0, out
    assert "--backend stedgeai --stedgeai" in out
    results = json.loads((st_env / "local" / "stedgeai_results.json").read_text())
    assert results["measurements"]["int8"]["analyze"]["weights_flash_bytes"] == 3232
    assert results["measurements"]["float"]["analyze"]["weights_flash_bytes"] == 11008
