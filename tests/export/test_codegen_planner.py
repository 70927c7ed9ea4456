"""Generated sources: banner, identifiers, clean builds for host and Cortex-M4, and the arena plan."""
from __future__ import annotations

import numpy as np
import pytest

from training.data.preprocess import PreprocessingSpec
from training.errors import ExportError
from training.export.c_build import build_cortex_m4
from training.export.codegen import c_comment_text, c_identifier
from training.export.footprint import measure_footprint
from training.export.library import generate_library
from training.export.planner import lifetimes
from training.export.quantize import quantize_keras_model
from training.models.cnn2d_st import build_cnn2d_st_handposture
from tests.export.model_factory import calibration_data, random_model


@pytest.fixture(scope="module")
def st_model_bytes():
    import keras

    keras.utils.set_random_seed(1)
    model = build_cnn2d_st_handposture(8)
    data = np.random.default_rng(0).normal(size=(64, 8, 8, 2)).astype(np.float32)
    return quantize_keras_model(model, data)


@pytest.mark.parametrize("name", ["op0", "tofhil op", "tofhil_op-1", "int", "tofhil_a*/b"])
def test_invalid_identifiers_are_rejected(name):
    with pytest.raises(ExportError):
        c_identifier(name)


def test_comment_text_cannot_close_the_comment():
    assert "*/" not in c_comment_text("evil */ name\n with newline")


def test_every_generated_file_has_the_banner(st_model_bytes, tmp_path):
    library = generate_library(st_model_bytes, tmp_path, PreprocessingSpec(normalization="hand_relative"))
    generated = [p for p in library.files if p.name.startswith(("tofhil_model", "tofhil_preprocess"))]
    assert len(generated) == 4
    for path in generated:
        assert path.read_text().startswith("/*\n * generated - do not edit.")
    assert library.sha256 in (tmp_path / "tofhil_model.h").read_text()


def test_arena_of_st_model_is_its_input_when_the_conv_pools_its_accumulators(st_model_bytes, tmp_path):
    """The conv's 6x6x8 output never exists in the inference (its max pool is fused): the arena is the 8x8x2
    input, which the pooled output and the later tensors reuse; the conv output gets its own buffer for
    per-layer validation only."""
    library = generate_library(st_model_bytes, tmp_path)
    conv = library.model.ops[0]
    assert library.plan.size == 8 * 8 * 2
    assert library.plan.outside == {conv.output: 6 * 6 * 8} and conv.output not in library.plan.offsets


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_tensors_alive_together_never_overlap(seed, tmp_path):
    model = random_model(seed)
    library = generate_library(quantize_keras_model(model, calibration_data(model, seed)), tmp_path)
    buffers = [b for b in lifetimes(library.model).values() if b.root not in library.plan.outside]
    offsets = library.plan.offsets
    for i, a in enumerate(buffers):
        for b in buffers[i + 1:]:
            if a.first <= b.last and b.first <= a.last:
                a0, b0 = offsets[a.root], offsets[b.root]
                assert a0 + a.size <= b0 or b0 + b.size <= a0


def test_cortex_m4_footprint_meets_targets(st_model_bytes, tmp_path, arm_cc):
    library = generate_library(st_model_bytes, tmp_path / "lib", PreprocessingSpec())
    footprint = measure_footprint(library.directory, tmp_path / "m4", library.plan.size, True)
    assert footprint.flash_bytes <= 8 * 1024
    assert footprint.ram_bytes <= 1.5 * 1024
    assert footprint.weights_bytes > 2752  # every int8 weight is in flash
    assert footprint.stack_bytes["tofhil_model_run"] > 0


def test_float_io_model_builds_cleanly_for_cortex_m4(tmp_path, arm_cc):
    model = random_model(7)
    model_bytes = quantize_keras_model(model, calibration_data(model, 7), int8_io=False)
    library = generate_library(model_bytes, tmp_path / "lib")
    assert build_cortex_m4(library.directory, tmp_path / "m4", ("tofhil_model_run",)).elf.is_file()
