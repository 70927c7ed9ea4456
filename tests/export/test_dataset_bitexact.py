"""The exported hand-posture model on the shared dataset: the host-compiled C library gives
int8 inputs (from raw frames) and int8 outputs identical to the host reference for every frame."""
from __future__ import annotations

import json

import numpy as np
import pytest

from training.config import load_config
from training.data.preprocess import PreprocessingSpec, preprocess, quantize_input
from training.export.c_build import HostLibrary, SanitizedHost, build_host_library
from training.export.library import generate_library
from training.export.quantize import quantize_keras_model, representative_sample
from training.export.reference import ReferenceRunner
from training.models.cnn2d_st import build_cnn2d_st_handposture
from training.train.data_setup import preprocessing_spec

pytestmark = pytest.mark.dataset


@pytest.fixture(scope="module")
def exported(trained_run_dir, tmp_path_factory, host_cc):
    """The shared run's export, written by ``python -m training export RUN`` when the run was made
    (tests/shared_runs.py); read here, never written."""
    out = trained_run_dir / "export"
    model_bytes = (out / "model_int8.tflite").read_bytes()
    runner = ReferenceRunner(model_bytes)
    host = HostLibrary(build_host_library(out, tmp_path_factory.mktemp("host"), host_cc),
                       128, runner.output_details["shape"][-1], np.int8, np.int8)
    return out, runner, host


def _device_and_host_inputs(host, runner, frames, spec):
    device_inputs, device_kept = host.preprocess(frames.distance_mm, frames.signal_per_spad, frames.target_status)
    tensors, kept = preprocess(frames, spec)
    scale, zero_point = runner.input_quantization
    return device_inputs, device_kept, quantize_input(tensors, scale, zero_point).reshape(len(tensors), -1), kept


@pytest.mark.slow
def test_export_of_trained_model_reports_accuracy_and_timings(exported):
    # the 30 s export target is measured by bench/bench_export.py, not asserted here
    out, _, _ = exported
    report = json.loads((out / "model_report.json").read_text())
    assert set(report["timings_s"]) >= {"quantize", "codegen", "evaluate", "total"}
    evaluation = report["evaluation"]
    assert evaluation["test_samples"] > 0
    assert 0.0 <= evaluation["int8_accuracy"] <= 1.0
    assert evaluation["float_int8_top1_agreement"] > 0.9
    assert report["model"]["ops"] == ["CONV_2D", "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED",
                                      "FULLY_CONNECTED", "SOFTMAX"]


@pytest.mark.slow
def test_shipped_model_inputs_and_outputs_are_identical_on_every_frame(exported, frame_table, trained_run_dir):
    _, runner, host = exported
    spec = preprocessing_spec(load_config(trained_run_dir / "config.yaml"))
    device_inputs, device_kept, host_inputs, kept = _device_and_host_inputs(host, runner, frame_table.frames, spec)
    np.testing.assert_array_equal(device_kept, kept)
    assert kept.sum() > 9000
    np.testing.assert_array_equal(device_inputs, host_inputs)
    reference = runner.run(host_inputs.reshape(-1, 8, 8, 2)).reshape(len(host_inputs), -1)
    np.testing.assert_array_equal(host.run(device_inputs), reference)


@pytest.mark.slow
def test_shipped_model_under_address_and_undefined_behaviour_sanitizers(exported, frame_table, tmp_path, host_cc):
    out, runner, _ = exported
    frames = frame_table.frames
    sanitized = SanitizedHost(out, tmp_path, np.int8, np.int8, host_cc)
    inputs, kept = sanitized.preprocess(frames.distance_mm, frames.signal_per_spad, frames.target_status, 128)
    assert kept.sum() > 9000
    reference = runner.run(inputs.reshape(-1, 8, 8, 2)).reshape(len(inputs), -1)
    np.testing.assert_array_equal(sanitized.run(inputs, reference.shape[1]), reference)


@pytest.mark.parametrize("normalization,center_hand", [("st", False), ("st", True), ("hand_relative", False),
                                                       ("hand_relative", True)])
def test_every_preprocessing_mode_gives_identical_inputs_on_every_frame(frame_table, tmp_path, host_cc,
                                                                        normalization, center_hand):
    spec = PreprocessingSpec(normalization=normalization, center_hand=center_hand)
    tensors, _ = preprocess(frame_table.frames, spec)
    model = build_cnn2d_st_handposture(8)
    model_bytes = quantize_keras_model(model, representative_sample(tensors, 200, 0))
    library = generate_library(model_bytes, tmp_path / "lib", spec)
    runner = ReferenceRunner(model_bytes)
    host = HostLibrary(build_host_library(library.directory, tmp_path / "build", host_cc), 128, 8, np.int8, np.int8)
    device_inputs, device_kept, host_inputs, kept = _device_and_host_inputs(host, runner, frame_table.frames, spec)
    np.testing.assert_array_equal(device_kept, kept)
    np.testing.assert_array_equal(device_inputs, host_inputs)
