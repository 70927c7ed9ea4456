"""``python -m hil run --model``: a bad request is one line and exit 2, before any step runs."""
from __future__ import annotations

import pytest

from hil.cli import main as hil_main


@pytest.fixture
def files(tmp_path):
    model, config, other = tmp_path / "model.h5", tmp_path / "config.yaml", tmp_path / "model.onnx"
    for path in (model, config, other):
        path.write_text("x")
    return model, config, other


@pytest.mark.parametrize("arguments, expected", [
    (["--model", "{model}"], "needs --config"),
    (["--config", "{config}"], "--config goes with --model"),
    (["--model", "{model}", "--config", "{config}", "--run-dir", "{tmp}"], "exclude each other"),
    (["--model", "{other}", "--config", "{config}"], "unknown model file type '.onnx'"),
    (["--model", "{tmp}/missing.keras", "--config", "{config}"], "missing.keras: no such file"),
    (["--model", "{model}", "--config", "{tmp}/missing.yaml"], "missing.yaml: no such file"),
])
def test_bad_model_requests_are_one_line(files, tmp_path, capsys, arguments, expected):
    model, config, other = files
    names = {"model": model, "config": config, "other": other, "tmp": tmp_path}
    code = hil_main(["run", "--board", "host", *(a.format(**names) for a in arguments)])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "experiments_outputs").exists()


def test_a_config_without_any_data_path_is_one_line_before_the_export(tmp_path, capsys, monkeypatch):
    """ST's deployment example as --config (no dataset path): nothing to validate on, said before any export (the
    training step, in-process)."""
    from pathlib import Path

    from training.cli import main as training_main

    config = Path(__file__).resolve().parents[1] / "fixtures" / "st_configs" / "gen_4x" / "deployment_config.yaml"
    model = tmp_path / "model.tflite"
    model.write_bytes(b"not read: refused before")
    for variable in ("MODEL", "DATA", "OUT"):  # the fixture's paths (tests/fixtures/st_configs/README.md)
        monkeypatch.setenv(f"ST_FIXTURE_{variable}", str(model if variable == "MODEL" else tmp_path))
    code = training_main(["hil-inputs", str(tmp_path / "out" / "model"), "--to", str(tmp_path / "inputs"),
                          "--model", str(model), "--config", str(config)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "deployment_config.yaml: dataset: no test_path or training_path" in err[-1]
    assert "add dataset.test_path=DIR" in err[-1] and not (tmp_path / "out").exists()
