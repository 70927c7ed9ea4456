"""Property test: random small Keras models are bit-exact between the generated C and BUILTIN_REF.

Each CI run draws new models (base seed printed in every failure; set
TOFHIL_PROPERTY_SEED to replay a run). Every model is calibrated on random data,
converted to int8 (some with float32 I/O to cover QUANTIZE/DEQUANTIZE), compiled
for the host and compared on 500 random inputs.
"""
from __future__ import annotations

import os
import random

import numpy as np
import pytest

from tests.export.model_factory import calibration_data, random_model
from training.export.c_build import HostLibrary, build_host_library
from training.export.library import generate_library
from training.export.quantize import quantize_keras_model
from training.export.reference import ReferenceRunner

MODELS_PER_RUN = 20
SAMPLES = 500
BASE_SEED = int(os.environ.get("TOFHIL_PROPERTY_SEED", random.SystemRandom().randrange(1, 10**6)))


def _inputs(runner: ReferenceRunner, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 2)
    shape = (SAMPLES, *runner.input_details["shape"][1:])
    if runner.input_dtype == np.int8:
        return rng.integers(-128, 128, shape).astype(np.int8)
    return rng.normal(0.0, 1.5, shape).astype(np.float32)


@pytest.mark.parametrize("index", range(MODELS_PER_RUN))
def test_random_model_is_bit_exact(index, tmp_path, host_cc):
    seed = BASE_SEED + index
    model = random_model(seed)
    float_io = index % 5 == 4
    tflite_bytes = quantize_keras_model(model, calibration_data(model, seed), int8_io=not float_io)
    library = generate_library(tflite_bytes, tmp_path / "lib")
    runner = ReferenceRunner(tflite_bytes)
    host = HostLibrary(build_host_library(library.directory, tmp_path / "build", host_cc),
                       library.input_size, library.output_size, runner.input_dtype, runner.output_dtype)
    inputs = _inputs(runner, seed)
    expected = runner.run(inputs).reshape(SAMPLES, -1)
    actual = host.run(inputs.reshape(SAMPLES, -1))
    ops = [op.opcode for op in library.model.ops]
    mismatches = int(np.sum(np.any(expected != actual, axis=1)))
    assert mismatches == 0, (f"seed {seed} (TOFHIL_PROPERTY_SEED={BASE_SEED}), ops {ops}: "
                             f"{mismatches}/{SAMPLES} samples differ from BUILTIN_REF")
