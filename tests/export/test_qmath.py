"""Quantization parameters as TFLite computes them, and the C fixed-point primitives."""
from __future__ import annotations

import ctypes
import math

import numpy as np
import pytest

from training.export import qmath
from training.export.c_build import COMMON_FLAGS, run_tool
from training.export.codegen import TEMPLATES_DIR


def test_round_half_away_from_zero():
    assert [qmath.round_half_away(v) for v in (0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994)] == \
        [1, 2, 3, -1, -3, 0]


@pytest.mark.parametrize("real", [0.5, 0.75, 1e-3, 3.9e-5, 1.0, 1.999999999, 0.0])
def test_quantize_multiplier_reconstructs_the_real_multiplier(real):
    multiplier, shift = qmath.quantize_multiplier(real)
    assert multiplier <= 2**31 - 1
    if real:
        assert multiplier >= 2**30
        assert math.isclose(multiplier * 2.0 ** (shift - 31), real, rel_tol=2**-30)


def test_activation_ranges():
    assert qmath.activation_range("NONE", 0.1, 3) == (-128, 127)
    assert qmath.activation_range("RELU", 0.1, -128) == (-128, 127)
    assert qmath.activation_range("RELU6", 0.05, -128) == (-128, -8)


def test_same_and_valid_padding():
    assert qmath.output_size("SAME", 7, 3, 2) == 4 and qmath.padding_before(7, 3, 2, 4) == 1
    assert qmath.output_size("VALID", 8, 3, 1) == 6 and qmath.padding_before(8, 3, 1, 6) == 0


@pytest.fixture(scope="module")
def kernels(tmp_path_factory, host_cc):
    out = tmp_path_factory.mktemp("kernels") / "libkernels.so"
    run_tool([host_cc, *COMMON_FLAGS, "-O2", "-fPIC", "-shared", str(TEMPLATES_DIR / "runtime" / "tofhil_kernels.c"),
              "-o", str(out)])
    return ctypes.CDLL(str(out))


def _srdhm(a: int, b: int) -> int:
    if a == b == -2**31:
        return 2**31 - 1
    product = a * b
    nudge = (1 << 30) if product >= 0 else 1 - (1 << 30)
    return int((product + nudge) / (1 << 31)) if abs(product + nudge) < 2**52 else \
        (product + nudge) // (1 << 31) if product + nudge >= 0 else -((-(product + nudge)) // (1 << 31))


def _rdbpot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def test_c_fixed_point_primitives_match_gemmlowp(kernels):
    rng = np.random.default_rng(0)
    srdhm = kernels.tofhil_saturating_rounding_doubling_high_mul
    mbqm = kernels.tofhil_multiply_by_quantized_multiplier
    for a, b in rng.integers(-2**31, 2**31, (2000, 2)).tolist() + [[-2**31, -2**31], [2**31 - 1, -2**31]]:
        assert srdhm(a, b) == _srdhm(a, b)
    for x, m, shift in zip(rng.integers(-2**20, 2**20, 2000).tolist(), rng.integers(2**30, 2**31, 2000).tolist(),
                           rng.integers(-20, 4, 2000).tolist()):
        left, right = max(shift, 0), max(-shift, 0)
        assert mbqm(x, m, shift) == _rdbpot(_srdhm(x * (1 << left), m), right)
