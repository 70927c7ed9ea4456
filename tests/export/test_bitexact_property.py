"""Property test: random small Keras models are bit-exact between the generated C and BUILTIN_REF.

Each CI run draws new models (base seed printed in every failure; set
TOFHIL_PROPERTY_SEED to replay a run). Every model is calibrated on random data,
converted to int8 (some with float32 I/O to cover QUANTIZE/DEQUANTIZE), compiled
for the host and compared on 500 random inputs, also in a build under AddressSanitizer
and UBSan. The fixed shapes below cover what the specialised code treats differently:
1x1 and 5x5 kernels, stride 2, SAME padding on odd sizes, depth multipliers, and
channel counts that are not multiples of 2 or 4.
"""
from __future__ import annotations

import os
import random

import numpy as np
import pytest

from tests.export.model_factory import calibration_data, random_model
from training.export.c_build import HostProgram, SanitizedHost
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
    # the -O2 build in a child process too: a pytest worker once aborted inside TFLite's allocate_tensors after
    # such runs, with no seed named (cause not found); a defect in a drawn model's C now fails that model's check
    host = HostProgram(library.directory, tmp_path / "build", runner.input_dtype, runner.output_dtype, host_cc)
    inputs = _inputs(runner, seed)
    expected = runner.run(inputs).reshape(SAMPLES, -1)
    actual = host.run(inputs, library.output_size)
    ops = [op.opcode for op in library.model.ops]
    mismatches = int(np.sum(np.any(expected != actual, axis=1)))
    assert mismatches == 0, (f"seed {seed} (TOFHIL_PROPERTY_SEED={BASE_SEED}), ops {ops}: "
                             f"{mismatches}/{SAMPLES} samples differ from BUILTIN_REF")
    sanitized = SanitizedHost(library.directory, tmp_path / "asan", runner.input_dtype, runner.output_dtype, host_cc)
    np.testing.assert_array_equal(sanitized.run(inputs, library.output_size), expected.reshape(SAMPLES, -1))


def _shaped_model(kernel: int, stride: int, padding: str, size: tuple, channels: int, multiplier: int):
    import keras
    from keras import layers

    keras.utils.set_random_seed(kernel * 100 + stride * 10 + channels)
    inputs = keras.Input(size, batch_size=1)
    x = layers.Conv2D(channels, kernel, strides=stride, padding=padding, activation="relu")(inputs)
    x = layers.DepthwiseConv2D(kernel, strides=stride, padding=padding, depth_multiplier=multiplier)(x)
    x = layers.MaxPooling2D(2, padding="same")(x)
    x = layers.Dense(channels + 2, activation="relu")(layers.Flatten()(x))
    return keras.Model(inputs, layers.Dense(5, activation="softmax")(x))


@pytest.mark.parametrize("kernel, stride, padding, size, channels, multiplier", [
    (1, 1, "valid", (5, 7, 3), 3, 1),
    (5, 1, "same", (7, 9, 1), 5, 2),
    (5, 2, "same", (9, 7, 2), 7, 3),
    (3, 2, "valid", (9, 9, 3), 1, 1),
    (2, 2, "same", (7, 5, 5), 6, 2),
    (1, 1, "valid", (6, 8, 2), 4, 2),  # even sizes: unpadded max pool, four channels per word
])
def test_specialised_shapes_are_bit_exact(kernel, stride, padding, size, channels, multiplier, tmp_path, host_cc):
    model = _shaped_model(kernel, stride, padding, size, channels, multiplier)
    tflite_bytes = quantize_keras_model(model, calibration_data(model, kernel))
    library = generate_library(tflite_bytes, tmp_path / "lib")
    runner = ReferenceRunner(tflite_bytes)
    inputs = _inputs(runner, kernel)
    expected = runner.run(inputs).reshape(SAMPLES, -1)
    sanitized = SanitizedHost(library.directory, tmp_path / "asan", runner.input_dtype, runner.output_dtype, host_cc)
    np.testing.assert_array_equal(sanitized.run(inputs, library.output_size), expected)


def _conv_pool_model(size: tuple, channels: int, kernel: int, padding: str, relu: bool, pool: int):
    import keras
    from keras import layers

    keras.utils.set_random_seed(size[0] * 100 + channels * 10 + kernel)
    inputs = keras.Input(size, batch_size=1)
    x = layers.Conv2D(channels, kernel, padding=padding, activation="relu" if relu else None)(inputs)
    x = layers.MaxPooling2D(pool)(x)
    x = layers.Dense(6, activation="relu")(layers.Flatten()(x))
    return keras.Model(inputs, layers.Dense(4, activation="softmax")(x))


@pytest.mark.parametrize("size, channels, kernel, padding, relu, pool, fused", [
    ((8, 8, 2), 8, 3, "valid", True, 2, True),  # the ST hand-posture shape
    ((6, 10, 3), 5, 3, "same", False, 2, True),  # odd channel count, no ReLU (negative outputs), padding
    ((7, 7, 1), 4, 2, "valid", True, 2, True),  # 6x6 conv output from an odd input
    ((9, 9, 2), 4, 3, "valid", True, 3, False),  # a 3x3 pool: the ops stay apart
])
def test_conv_max_pool_fusion_is_bit_exact(size, channels, kernel, padding, relu, pool, fused, tmp_path, host_cc):
    """A conv whose 2x2 max pool takes the max of its int32 accumulators before requantization equals BUILTIN_REF."""
    model = _conv_pool_model(size, channels, kernel, padding, relu, pool)
    tflite_bytes = quantize_keras_model(model, calibration_data(model, 5))
    library = generate_library(tflite_bytes, tmp_path / "lib")
    source = (library.directory / "tofhil_model.c").read_text()
    assert ("conv2d_pool_run(" in source) == fused
    runner = ReferenceRunner(tflite_bytes)
    host = HostProgram(library.directory, tmp_path / "build", runner.input_dtype, runner.output_dtype, host_cc)
    inputs = np.random.default_rng(7).integers(-128, 128, (SAMPLES, *size)).astype(np.int8)
    expected = runner.run(inputs).reshape(SAMPLES, -1)
    np.testing.assert_array_equal(host.run(inputs, library.output_size), expected)
    sanitized = SanitizedHost(library.directory, tmp_path / "asan", runner.input_dtype, runner.output_dtype, host_cc)
    np.testing.assert_array_equal(sanitized.run(inputs, library.output_size), expected)
