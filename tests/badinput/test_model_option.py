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
