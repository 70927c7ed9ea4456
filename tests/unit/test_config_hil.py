"""The typed ``hil:`` section: defaults, overrides, and errors naming the file and the key path."""
from __future__ import annotations

import pytest
import yaml

from training.config import load_config
from training.errors import ConfigError

BASE = {"dataset": {"class_names": ["Like", "Fist"], "training_path": "/data"},
        "training": {"model": {"name": "CNN2D_ST_HandPosture"}, "batch_size": 8, "epochs": 1, "optimizer": "adam"}}


def write(tmp_path, hil=None):
    data = dict(BASE, **({"hil": hil} if hil is not None else {}))
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_defaults(tmp_path):
    hil = load_config(write(tmp_path)).hil
    assert (hil.board, hil.mode, hil.limit, hil.output_dir) == ("qemu-stm32f405", "raw", None, None)
    assert (hil.gates.min_accuracy, hil.gates.min_exact_agreement) == (0.80, 1.0)
    assert hil.gates.max_latency_ms is None and hil.gates.max_instructions is None
    assert hil.gates.max_flash_kib is None and hil.gates.max_ram_kib is None


def test_values_and_overrides(tmp_path):
    path = write(tmp_path, {"mode": "tensor", "limit": 100, "output_dir": "hil_out", "gates": {"max_ram_kib": 1.5}})
    hil = load_config(path, ["hil.gates.min_accuracy=0.9", "hil.gates.max_instructions=80000"]).hil
    assert hil.mode == "tensor" and hil.limit == 100 and hil.output_dir == str(tmp_path / "hil_out")
    assert hil.gates.max_ram_kib == 1.5 and hil.gates.min_accuracy == 0.9 and hil.gates.max_instructions == 80000.0


@pytest.mark.parametrize("hil,message", [
    ({"bogus": 1}, "hil: unknown key(s) ['bogus']"),
    ({"gates": {"max_latency": 3}}, "hil.gates: unknown key(s) ['max_latency']"),
    ({"mode": "bytes"}, "hil.mode: 'bytes' is not one of ['raw', 'tensor']"),
    ({"limit": 0}, "hil.limit: 0 is out of range"),
    ({"limit": 2.5}, "hil.limit: expected a whole number"),
    ({"gates": {"min_accuracy": 1.2}}, "hil.gates.min_accuracy: 1.2 is out of range [0.0, 1.0]"),
    ({"gates": {"min_exact_agreement": -0.1}}, "hil.gates.min_exact_agreement: -0.1 is out of range"),
    ({"gates": {"max_flash_kib": 0}}, "hil.gates.max_flash_kib: 0.0 must be a positive number"),
    ({"gates": {"max_latency_ms": float("inf")}}, "hil.gates.max_latency_ms: inf is out of range"),
    ({"gates": {"max_instructions": "many"}}, "hil.gates.max_instructions: expected a number"),
])
def test_errors_name_file_and_key(tmp_path, hil, message):
    path = write(tmp_path, hil)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value) and message in str(error.value)


@pytest.mark.parametrize("value, resolved", [("all", "all"), (25, "25"), ("differing", "differing"), (None, None)])
def test_per_layer_takes_all_n_or_differing(tmp_path, value, resolved):
    assert load_config(write(tmp_path, {"per_layer": value})).hil.per_layer == resolved
    assert load_config(write(tmp_path), ["hil.per_layer=3"]).hil.per_layer == "3"


@pytest.mark.parametrize("value", ["some", 0, -2, True, 1.5])
def test_bad_per_layer_names_the_key_and_the_spellings(tmp_path, value):
    with pytest.raises(ConfigError, match=r"hil\.per_layer: expected all, differing, or a positive whole number"):
        load_config(write(tmp_path, {"per_layer": value}))


def test_postprocessing_defaults_are_st_and_a_model_without_none_shows_minus_one(tmp_path):
    config = load_config(write(tmp_path))  # classes Like, Fist: no None class
    spec = config.postprocessing
    assert (spec.threshold, spec.filter_length, spec.keep_last_valid, spec.no_posture_class) == (0.9, 3, True, "None")
    assert spec.fallback_index(config.dataset.class_names) == -1
    assert load_config(write(tmp_path), ["postprocessing.no_posture_class=Fist"]).postprocessing.fallback_index(
        ["Like", "Fist"]) == 1


@pytest.mark.parametrize("override,message", [
    ("postprocessing.threshold=1.5", "postprocessing.threshold: 1.5 is out of range [0.0, 1.0]"),
    ("postprocessing.filter_length=300", "postprocessing.filter_length: 300 is out of range"),
    ("postprocessing.keep_last_valid=1", "postprocessing.keep_last_valid: expected true or false"),
    ("postprocessing.no_posture_class=Love", "postprocessing.no_posture_class: 'Love' is not one of"),
    ("postprocessing.thresh=0.5", "postprocessing: unknown key(s) ['thresh']"),
    ("training.calibration=platt", "training.calibration: 'platt' is not one of"),
    ("training.calibration_temperature=0", "training.calibration_temperature: 0"),
])
def test_postprocessing_and_calibration_errors_name_the_key(tmp_path, override, message):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path), [override])
    assert message in str(error.value)
