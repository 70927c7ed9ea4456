"""The export subcommand on a ready int8 .tflite (code generation only) and its errors."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from training.errors import ExportError
from training.export.cli import add_export_parser
from training.export.quantize import quantize_keras_model
from training.models.cnn2d_st import build_cnn2d_st_handposture


def _parse(*argv):
    parser = argparse.ArgumentParser()
    add_export_parser(parser.add_subparsers())
    return parser.parse_args(["export", *map(str, argv)])


def test_export_of_a_ready_tflite_writes_library_and_report(tmp_path, capsys):
    model = build_cnn2d_st_handposture(8)
    data = np.random.default_rng(0).normal(size=(32, 8, 8, 2)).astype(np.float32)
    source = tmp_path / "outside.tflite"
    source.write_bytes(quantize_keras_model(model, data))
    out = tmp_path / "out"
    args = _parse(source, "--output-dir", out, "--no-footprint")
    assert args.func(args) == 0
    report = json.loads((out / "model_report.json").read_text())
    assert (out / "tofhil_model.c").is_file() and (out / "model_int8.tflite").read_bytes() == source.read_bytes()
    assert report["model"]["sha256"] in (out / "model_int8.tflite.sha256").read_text()
    assert report["evaluation"] is None and report["footprint"] is None
    assert "exported" in capsys.readouterr().out


def test_keras_model_without_config_is_an_export_error(tmp_path):
    source = tmp_path / "model.keras"
    build_cnn2d_st_handposture(8).save(source)
    args = _parse(source)
    with pytest.raises(ExportError, match="--config"):
        args.func(args)


def test_missing_source_is_an_export_error(tmp_path):
    args = _parse(tmp_path / "nothing")
    with pytest.raises(ExportError, match="no such run folder"):
        args.func(args)
