"""Instructions per inference and preprocessing on the emulated board (model_report.json)."""
from __future__ import annotations

import numpy as np

from tests.export.conftest import require_tool
from training.data.preprocess import PreprocessingSpec, keep_mask
from training.export.emulated_speed import FRAMES, measure_emulated_speed, synthetic_frames
from training.export.library import generate_library
from training.export.quantize import quantize_keras_model
from training.models.cnn2d_st import build_cnn2d_st_handposture


def _st_model_bytes() -> bytes:
    import keras

    keras.utils.set_random_seed(1)
    data = np.random.default_rng(0).normal(size=(64, 8, 8, 2)).astype(np.float32)
    return quantize_keras_model(build_cnn2d_st_handposture(8), data)


def test_synthetic_frames_all_pass_the_distance_filter():
    spec = PreprocessingSpec(min_distance=150, max_distance=300)
    assert keep_mask(synthetic_frames(spec), spec).all()


def test_st_model_is_measured_bit_exact_on_the_emulated_board(tmp_path, arm_cc):
    require_tool("qemu-system-arm")
    model_bytes, spec = _st_model_bytes(), PreprocessingSpec()
    library = generate_library(model_bytes, tmp_path, spec)
    speed = measure_emulated_speed(library.directory, model_bytes, spec, library.has_preprocessing)
    assert (speed["frames"], speed["mismatches"]) == (FRAMES, 0)
    # the model has ~7,700 multiply-accumulates: fewer instructions than that would mean nothing ran
    assert 7_700 // 2 < speed["instructions_per_inference"] < 100_000
    assert 0 < speed["instructions_per_preprocessing"] < 20_000


def test_a_library_without_preprocessing_gets_null_figures_and_the_reason(tmp_path):
    speed = measure_emulated_speed(tmp_path, b"", None, has_preprocessing=False)
    assert speed["instructions_per_inference"] is None and speed["instructions_per_preprocessing"] is None
    assert "preprocessing" in speed["reason"] or "not found" in speed["reason"]


def test_the_real_firmware_takes_other_flags_and_times_each_op(tmp_path, arm_cc):
    """What a compile-flag benchmark calls: another -O level and extra flags reach the build, and the per-op
    counts add up to about the whole inference (each op's hook costs a few instructions)."""
    from tofhil.emulated_speed import measure_firmware_speed
    from training.export.emulated_speed import reference_frames

    require_tool("qemu-system-arm")
    model_bytes, spec = _st_model_bytes(), PreprocessingSpec()
    library = generate_library(model_bytes, tmp_path, spec)
    frames, expected = reference_frames(model_bytes, spec)
    fast = measure_firmware_speed(library.directory, frames, expected, per_op=True)
    small = measure_firmware_speed(library.directory, frames, expected, opt="-Os", extra_cflags=("-fno-inline",))
    assert fast["mismatches"] == small["mismatches"] == 0
    assert small["opt"] == "-Os" and small["instructions_per_inference"] != fast["instructions_per_inference"]
    ops = sum(fast["op_instructions"].values())
    assert 0.9 * fast["instructions_per_inference"] < ops < 1.2 * fast["instructions_per_inference"]
    # the per-layer profile (each op alone, as hil --per-layer times it): every op timed, the fused conv's
    # max pool (op 1) included, summing to about the inference too
    layers = fast["layer_instructions"]
    assert sorted(layers) == list(range(len(library.model.ops))) and layers[1] > 50
    assert 0.9 * fast["instructions_per_inference"] < sum(layers.values()) < 1.3 * fast["instructions_per_inference"]
