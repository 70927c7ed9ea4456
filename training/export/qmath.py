"""Quantization parameters exactly as TFLite's kernels compute them in ``Prepare``.

Each function mirrors one TFLite helper (named in its docstring) down to where
float32 and double are used, so that the multipliers, shifts and activation
bounds compiled into the C library equal those the reference interpreter uses.
"""
from __future__ import annotations

import math

import numpy as np

INT8_MIN, INT8_MAX = -128, 127
SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5
ADD_LEFT_SHIFT_INT8 = 20


def round_half_away(value: float) -> int:
    """``TfLiteRound`` / ``std::round``: half away from zero (exact for doubles and floats)."""
    whole = math.trunc(value)
    fraction = value - whole  # exact for every double
    if fraction >= 0.5:
        return whole + 1
    if fraction <= -0.5:
        return whole - 1
    return whole


def quantize_multiplier(real_multiplier: float) -> tuple[int, int]:
    """``QuantizeMultiplier``: Q0.31 significand and shift (positive = left) of a double."""
    if real_multiplier == 0.0:
        return 0, 0
    significand, shift = math.frexp(real_multiplier)
    q_fixed = round_half_away(significand * (1 << 31))
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q_fixed, shift


def conv_multiplier(input_scale: float, filter_scale: float, output_scale: float) -> float:
    """``PopulateConvolutionQuantizationParams`` / ``GetQuantizedConvolutionMultipler`` (doubles)."""
    return float(input_scale) * float(filter_scale) / float(output_scale)


def activation_range(activation: str, scale: float, zero_point: int) -> tuple[int, int]:
    """``CalculateActivationRangeQuantized`` for int8: ``round(f / scale)`` in float32."""
    def quantize(value: float) -> int:
        return zero_point + round_half_away(float(np.float32(value) / np.float32(scale)))

    if activation == "NONE":
        return INT8_MIN, INT8_MAX
    if activation == "RELU":
        return max(INT8_MIN, quantize(0.0)), INT8_MAX
    if activation == "RELU6":
        return max(INT8_MIN, quantize(0.0)), min(INT8_MAX, quantize(6.0))
    if activation == "RELU_N1_TO_1":
        return max(INT8_MIN, quantize(-1.0)), min(INT8_MAX, quantize(1.0))
    raise ValueError(activation)


def output_size(padding: str, in_size: int, filter_size: int, stride: int, dilation: int = 1) -> int:
    """``ComputeOutSize``."""
    effective = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    return (in_size + stride - effective) // stride


def padding_before(in_size: int, filter_size: int, stride: int, out_size: int, dilation: int = 1) -> int:
    """``ComputePaddingWithOffset``: top/left padding (the odd extra pixel goes bottom/right)."""
    effective = (filter_size - 1) * dilation + 1
    total = max(0, (out_size - 1) * stride + effective - in_size)
    return total // 2


def softmax_params(beta: float, input_scale: float) -> tuple[int, int, int]:
    """``PreprocessSoftmaxScaling`` + ``CalculateInputRadius``: (multiplier, left shift, diff_min)."""
    bits = SOFTMAX_SCALED_DIFF_INTEGER_BITS
    real = min(float(beta) * float(input_scale) * (1 << (31 - bits)), (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier(real)
    # ldexp, not 1 << left_shift: a tiny scale gives a negative shift, which lowering rejects by name
    radius = math.floor(math.ldexp(1.0 * ((1 << bits) - 1) * (1 << (31 - bits)), -left_shift))
    return multiplier, left_shift, -int(radius)


def add_params(scale1: float, scale2: float, output_scale: float) -> dict:
    """``add.cc`` Prepare for int8: input and output multipliers with a left shift of 20."""
    twice_max = 2.0 * max(float(scale1), float(scale2))
    m1, s1 = quantize_multiplier(float(scale1) / twice_max)
    m2, s2 = quantize_multiplier(float(scale2) / twice_max)
    mo, so = quantize_multiplier(twice_max / ((1 << ADD_LEFT_SHIFT_INT8) * float(output_scale)))
    return {"input1_multiplier": m1, "input1_shift": s1, "input2_multiplier": m2, "input2_shift": s2,
            "output_multiplier": mo, "output_shift": so, "left_shift": ADD_LEFT_SHIFT_INT8}
