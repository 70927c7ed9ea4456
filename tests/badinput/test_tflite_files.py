"""Corrupt .tflite files (truncated, random, bit-flipped) and a rejected export that must not replace a good one."""
from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

from tests.badinput.conftest import assert_user_error, run_cli
from training.errors import ExportError
from training.export.tflite_graph import parse_tflite


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict:
    """An int8 .tflite of CNN2D_ST_HandPosture (3 classes), random weights, and an int8 one with an operator the
    runtime does not have (CONCATENATION: refused while the library is generated)."""
    import keras

    from training.export.quantize import quantize_keras_model
    from training.models.cnn2d_st import build_cnn2d_st_handposture

    folder = tmp_path_factory.mktemp("tflite")
    keras.utils.set_random_seed(0)
    model = build_cnn2d_st_handposture(3, (8, 8, 2), 0.1)
    sample = np.random.default_rng(0).normal(size=(32, 8, 8, 2)).astype("float32")
    (folder / "model_int8.tflite").write_bytes(quantize_keras_model(model, sample))
    inputs = keras.Input((8, 8, 2))
    branches = [keras.layers.Conv2D(4, 3)(inputs) for _ in range(2)]
    merged = keras.layers.Flatten()(keras.layers.Concatenate()(branches))
    unsupported = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(merged))
    (folder / "model_concat.tflite").write_bytes(quantize_keras_model(unsupported, sample))
    return {"int8": folder / "model_int8.tflite", "unsupported": folder / "model_concat.tflite"}


def outcome(data: bytes) -> str:
    try:
        parse_tflite(data)
    except ExportError:
        return "rejected"
    return "parsed"


def test_every_truncation_is_rejected(models):
    good = models["int8"].read_bytes()
    assert outcome(good) == "parsed"
    assert {outcome(good[:n]) for n in range(0, len(good), 3)} == {"rejected"}


def test_random_bytes_behind_the_marker_are_rejected(models):
    good, rng = models["int8"].read_bytes(), np.random.default_rng(5)
    for _ in range(200):
        assert outcome(good[:8] + rng.bytes(int(rng.integers(0, 8000)))) == "rejected"


def test_bit_flips_never_crash_the_parser(models):
    """A flipped bit may leave a parsable model (a weight changed); it never raises anything but ExportError."""
    good, rng = models["int8"].read_bytes(), np.random.default_rng(7)
    outcomes = []
    for _ in range(500):
        data = bytearray(good)
        for bit in rng.integers(0, len(data) * 8, size=int(rng.integers(1, 4))):
            data[bit // 8] ^= 1 << (bit % 8)
        outcomes.append(outcome(bytes(data)))  # any other exception fails the test
    assert "rejected" in outcomes


@pytest.mark.parametrize("damage", ["truncated", "random", "bit-flipped"])
def test_corrupt_tflite_through_the_cli(tmp_path, models, damage):
    good = models["int8"].read_bytes()
    data = {"truncated": good[:len(good) // 2], "random": good[:8] + os.urandom(4000),
            "bit-flipped": good[:16] + bytes([good[16] ^ 0xFF]) + good[17:]}[damage]
    path = tmp_path / "corrupt.tflite"
    path.write_bytes(data)
    result = run_cli("export", path, "--output-dir", tmp_path / "out", "--no-footprint", "--no-firmware",
                     timeout=120)
    assert_user_error(result, "corrupt TFLite flatbuffer")
    assert not (tmp_path / "out").exists()


def digests(folder) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_rejected_export_leaves_the_earlier_export_untouched(tmp_path, models):
    out = tmp_path / "export"
    flags = ("--output-dir", out, "--no-footprint", "--no-firmware")
    first = run_cli("export", models["int8"], *flags, timeout=120)
    assert first.returncode == 0, first.stderr
    before = digests(out)
    assert "model_int8.tflite" in before and "tofhil_model.c" in before
    rejected = run_cli("export", models["unsupported"], *flags, timeout=120)  # refused inside the staged export
    assert_user_error(rejected, "CONCATENATION")
    assert digests(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]  # no staging folder left behind
