"""Models trained elsewhere on a board: ``python -m hil run --model FILE --config CONFIG`` for every kind of model
file (Keras 2 functional ``.h5`` as ST saved its model, Keras 3 ``.keras``, float and int8 ``.tflite``), each exported
through the run-shaped folder and streamed on the host board (one on QEMU), the device equal to BUILTIN_REF on
every frame."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hil.cli import main as hil_main
from hil.report.report_file import read_report
from tests.conftest import require
from tests.hil_e2e.conftest import result_outputs
from tofhil.validation_inputs import read_arrays

FRAMES = 30
# the Keras 2 Sequential .h5 is exported in tests/export/test_model_inputs.py (seconds, no board run)
HOST_RUNS = ("keras2_h5", "keras3", "float_tflite", "int8_tflite")


@pytest.fixture(scope="session")
def model_files(tmp_path_factory) -> dict[str, Path]:
    from tests.model_files.keras3 import write_model_files

    return write_model_files(tmp_path_factory.mktemp("model_files"))


@pytest.fixture(scope="session")
def model_config(synth_dataset, tmp_path_factory) -> Path:
    """A config of the synthetic dataset (four classes, whole sessions held out), no footprint build."""
    config = tmp_path_factory.mktemp("model_config") / "config.yaml"
    config.write_text(f"""
dataset: {{class_names: [None, Like, Fist, FlatHand], training_path: {synth_dataset}, validation_split: 0.5}}
training:
  model: {{name: CNN2D_ST_HandPosture, input_shape: "(8, 8, 2)"}}
  batch_size: 32
  epochs: 1
  optimizer: {{Adam: {{learning_rate: 0.01}}}}
export: {{representative_size: 50, footprint: false}}
""")
    return config


@pytest.fixture(scope="session")
def host_runs(model_files, model_config, tmp_path_factory) -> dict[str, Path]:
    """Each model file validated on the host board (FRAMES frames, raw mode): its output folder by kind."""
    require(shutil.which("gcc") is not None, "gcc is not installed")
    root, outputs = tmp_path_factory.mktemp("model_runs"), {}
    for kind in HOST_RUNS:
        outputs[kind] = root / kind
        code = hil_main(["run", "--model", str(model_files[kind]), "--config", str(model_config), "--board", "host",
                         "--limit", str(FRAMES), "--mode", "raw", "--output-dir", str(outputs[kind]), "--quiet",
                         "--gate", "min_accuracy=null"])
        assert code == 0, f"{kind}: hil run exited {code}"
    return outputs


def assert_device_equals_reference(out: Path) -> None:
    report = read_report(out)
    assert report.agreement.frames > 0
    exact = report.agreement.exact_match
    assert exact.count == exact.total and exact.rate == 1.0
    shown = report.agreement.shown  # the label shown on the device, against the host's replay
    assert shown.count == shown.total == len(result_outputs(out)) and shown.rate == 1.0
    references = read_arrays(out / "references.npz")
    for index, (status, output, _, _) in result_outputs(out).items():
        if status == "ok":
            assert output == tuple(references["host_int8"][index]), f"frame {index}"


@pytest.mark.parametrize("kind", HOST_RUNS)
def test_every_model_file_is_bit_exact_on_the_host_board(host_runs, kind):
    out = host_runs[kind]
    assert_device_equals_reference(out)
    assert (out / "model" / "export" / "model_int8.tflite").is_file()
    assert json.loads((out / "run_meta.json").read_text())["frames"] == FRAMES


@pytest.mark.parametrize("kind, has_float", [("keras2_h5", True), ("float_tflite", True), ("int8_tflite", False)])
def test_float_references_come_from_the_float_model(host_runs, kind, has_float):
    host_float = read_arrays(host_runs[kind] / "references.npz")["host_float"]
    assert bool(np.any(host_float)) == has_float


def test_int8_tflite_is_used_as_it_is(host_runs, model_files):
    exported = host_runs["int8_tflite"] / "model" / "export" / "model_int8.tflite"
    assert exported.read_bytes() == model_files["int8_tflite"].read_bytes()


def test_a_keras2_model_on_the_emulated_board(host_runs, tmp_path):
    """ST's kind of model on QEMU, from the run-shaped folder the host run made (exported once)."""
    require(shutil.which("qemu-system-arm") is not None and shutil.which("arm-none-eabi-gcc") is not None,
            "qemu-system-arm or arm-none-eabi-gcc is not installed")
    out = tmp_path / "qemu"
    code = hil_main(["run", "--run-dir", str(host_runs["keras2_h5"] / "model"), "--board", "qemu-stm32f405",
                     "--limit", str(FRAMES), "--mode", "raw", "--output-dir", str(out), "--quiet",
                     "--gate", "min_accuracy=null"])
    assert code == 0
    assert_device_equals_reference(out)


def test_resume_reuses_the_model_folder(host_runs, model_files, model_config):
    """--resume with --model: the run-shaped folder of the same model and config is kept, not made again."""
    out = host_runs["keras3"]
    export = out / "model" / "export" / "model_int8.tflite"
    before = export.stat().st_mtime_ns
    code = hil_main(["run", "--model", str(model_files["keras3"]), "--config", str(model_config), "--board", "host",
                     "--limit", str(FRAMES), "--mode", "raw", "--output-dir", str(out), "--quiet", "--resume",
                     "--gate", "min_accuracy=null"])
    assert code == 0
    assert export.stat().st_mtime_ns == before
