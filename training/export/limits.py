"""What the C runtime can compute exactly: the arithmetic limits every lowered parameter is checked against.

Each check returns ``None`` when the parameter is safe, else a one-line problem that
:mod:`training.export.lowering` turns into an :class:`ExportError` naming the op. The
limits follow the C side: the widths of the struct fields in ``tofhil_kernels.h`` and
the int32 arithmetic of the kernels (accumulators, shifts, indices).
"""
from __future__ import annotations

import numpy as np

INT8_RANGE = (-128, 127)
INT16_RANGE = (-32768, 32767)
INT32_LIMIT = 2**31 - 1
MAX_TENSOR_ELEMENTS = 2**24  # indices are int32 products of dims; 16 Mi elements is far beyond any MCU
MAX_SOFTMAX_DEPTH = 511  # sum of exps in Q12.19 and its shift stay below 32 bits (2^19 per element)
MAX_SOFTMAX_LEFT_SHIFT = 31
FIELD_RANGES = {"uint8": (0, 255), "uint16": (0, 65535), "int8": INT8_RANGE, "int16": INT16_RANGE}


def field_range(value: int, field: str, kind: str) -> str | None:
    """``value`` must fit the C struct field ``field`` of integer ``kind`` (uint8, int16, ...)."""
    lo, hi = FIELD_RANGES[kind]
    if lo <= int(value) <= hi:
        return None
    return f"{field} = {value} does not fit the runtime's {kind} field (allowed {lo}..{hi})"


def zero_point(tensor, role: str) -> str | None:
    """int8 tensors carry zero points in [-128, 127]; offsets derived from them fit int16."""
    points = [int(z) for z in tensor.quant.zero_point]
    bad = [z for z in points if not INT8_RANGE[0] <= z <= INT8_RANGE[1]]
    if bad:
        return f"{role} {tensor.describe()} has zero point {bad[0]} outside the int8 range -128..127"
    return None


def symmetric_weights(tensor, role: str) -> str | None:
    """The conv and fully connected kernels assume symmetric weights (TFLite's int8 scheme)."""
    nonzero = [int(z) for z in tensor.quant.zero_point if int(z) != 0]
    if nonzero:
        return (f"{role} {tensor.describe()} has zero point {nonzero[0]}; the runtime needs symmetric "
                "int8 weights (zero point 0)")
    return None


def tensor_size(tensor, role: str) -> str | None:
    if tensor.size > MAX_TENSOR_ELEMENTS:
        return f"{role} {tensor.describe()} has {tensor.size} elements, more than {MAX_TENSOR_ELEMENTS}"
    return None


def input_span(input_zero_point: int) -> tuple[int, int]:
    """Range of (x - zero point) over every int8 x."""
    return INT8_RANGE[0] - input_zero_point, INT8_RANGE[1] - input_zero_point


def accumulator_ranges(weights: np.ndarray, bias: np.ndarray | None, input_zero_point: int) -> np.ndarray:
    """Exact [min, max] of bias + sum(w * (x - zp)) per output channel; ``weights`` is [channels, taps]."""
    lo_x, hi_x = input_span(input_zero_point)
    w = weights.astype(np.int64)
    low = np.minimum(w * lo_x, w * hi_x).sum(axis=1)
    high = np.maximum(w * lo_x, w * hi_x).sum(axis=1)
    b = np.zeros(len(w), np.int64) if bias is None else bias.astype(np.int64)
    return np.stack([low + b, high + b], axis=1)


def accumulator(ranges: np.ndarray, left_shifts: np.ndarray | None = None) -> str | None:
    """Every partial and final accumulator (and its left-shifted value) must fit int32."""
    bound = np.abs(ranges).max(axis=1)
    if left_shifts is not None:
        bound = bound << np.maximum(left_shifts.astype(np.int64), 0)
    worst = int(np.argmax(bound))
    if bound[worst] > INT32_LIMIT:
        return (f"the int32 accumulator of output channel {worst} can reach {int(bound[worst])} "
                f"(weights, bias and input range); it must stay within +-{INT32_LIMIT}")
    return None


def softmax(depth: int, left_shift: int, multiplier: int) -> str | None:
    if depth > MAX_SOFTMAX_DEPTH:
        return (f"softmax depth {depth} exceeds {MAX_SOFTMAX_DEPTH}, the largest the fixed-point "
                "softmax sums without overflow")
    if multiplier <= 0 or not 0 <= left_shift <= MAX_SOFTMAX_LEFT_SHIFT:
        return (f"softmax input scale gives multiplier {multiplier} and left shift {left_shift}; "
                f"the runtime needs a positive multiplier and a shift in 0..{MAX_SOFTMAX_LEFT_SHIFT}")
    return None


def activation_bounds(act_min: int, act_max: int) -> str | None:
    if not INT8_RANGE[0] <= act_min <= act_max <= INT8_RANGE[1]:
        return (f"fused activation range {act_min}..{act_max} is empty or outside int8 "
                "(output scale and zero point do not fit the activation)")
    return None
