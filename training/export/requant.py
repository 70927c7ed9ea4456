"""Single-rounding integer requantization, proven identical to TFLite's at export time.

TFLite's reference FULLY_CONNECTED requantizes in double (``round(acc * scale)``, half
away from zero: software floating point on a Cortex-M4F), and CONV_2D with two integer
roundings (MultiplyByQuantizedMultiplier: a rounding doubling high multiply, then a
rounding right shift). Both are replaced, per output channel, by one rounding

    out = (acc * M + 2^(n-1) - (acc * M < 0)) >> n        (64-bit product, 33 <= n <= 62)

which on the M4 is SMULL, a borrow, an add and a shift of the high word. The exporter
tries the closest (M, n) to the channel's real scale and its neighbours, and keeps the
first that gives the same clamped int8 output as TFLite's arithmetic for EVERY
accumulator the channel can reach (bias plus weights times any int8 input, from
:func:`limits.accumulator_ranges`). The check is exhaustive, so the form is exact by
construction; an op with a channel that has no such form keeps TFLite's own arithmetic.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_MULTIPLIER = 2**31 - 1
MAX_SHIFT = 62  # the 64-bit product plus the rounding term cannot overflow
MIN_SHIFT = 33  # the C side shifts the high word only
CHUNK = 1 << 20


@dataclass(frozen=True)
class IntegerRequant:
    multipliers: np.ndarray  # int32 per channel
    shifts: np.ndarray  # uint8 per channel, right shift n
    checked_accumulators: int  # how many (channel, accumulator) pairs the exhaustive check compared


def double_path(acc: np.ndarray, twice_scale: float, offset: int, act_min: int, act_max: int) -> np.ndarray:
    """The runtime's double requantization (``round_scaled`` in tofhil_kernels.c), then offset and clamp."""
    twice = acc.astype(np.float64) * twice_scale
    whole = np.trunc(np.clip(twice, -2147483646.0, 2147483646.0)).astype(np.int64)
    rounded = np.where(whole >= 0, (whole + 1) // 2, -((1 - whole) // 2))
    return np.clip(rounded + offset, act_min, act_max)


def integer_path(acc: np.ndarray, multiplier: int, shift: int, offset: int, act_min: int, act_max: int):
    product = acc.astype(np.int64) * multiplier
    rounded = (product + (1 << (shift - 1)) - (product < 0)) >> shift
    return np.clip(rounded + offset, act_min, act_max)


def tflite_multiply_by_quantized_multiplier(acc: np.ndarray, multiplier: int, shift: int) -> np.ndarray:
    """MultiplyByQuantizedMultiplier for multiplier >= 0 (as tofhil_requantize in tofhil_kernels.h)."""
    left, right = max(shift, 0), max(-shift, 0)
    high = ((acc.astype(np.int64) << left) * multiplier + (1 << 30)) >> 31
    mask = (1 << right) - 1
    return (high >> right) + ((high & mask) > (mask >> 1) + (high < 0)).astype(np.int64)


def _candidates(scale: float):
    """(M, n) with M = scale * 2^n rounded to 31 bits, then its neighbours; none if n < MIN_SHIFT."""
    if not 0.0 < scale < 1.0:
        return
    shift = min(MAX_SHIFT, 31 - math.frexp(scale)[1])
    while shift >= MIN_SHIFT and round(scale * 2.0**shift) > MAX_MULTIPLIER:
        shift -= 1
    if shift < MIN_SHIFT:
        return
    center = round(scale * 2.0**shift)
    for multiplier in (center, center - 1, center + 1):
        if 0 < multiplier <= MAX_MULTIPLIER:
            yield multiplier, shift


def _identical(low: int, high: int, reference, multiplier: int, shift: int, clamp: tuple) -> bool:
    for start in range(low, high + 1, CHUNK):
        acc = np.arange(start, min(start + CHUNK, high + 1), dtype=np.int64)
        expected = np.clip(reference(acc) + clamp[0], clamp[1], clamp[2])
        if not np.array_equal(expected, integer_path(acc, multiplier, shift, *clamp)):
            return False
    return True


def find_single_rounding(ranges: np.ndarray, references: list, scales: list[float], clamp: tuple):
    """Per-channel (M, n) identical to ``references[c](acc)`` over ``ranges``; None if a channel has none."""
    multipliers, shifts, checked = [], [], 0
    for (low, high), reference, scale in zip(ranges, references, scales):
        found = next((pair for pair in _candidates(float(scale))
                      if _identical(int(low), int(high), reference, *pair, clamp)), None)
        if found is None:
            return None
        multipliers.append(found[0])
        shifts.append(found[1])
        checked += int(high - low + 1)
    return IntegerRequant(np.array(multipliers, np.int32), np.array(shifts, np.uint8), checked)


def find_integer_requant(ranges: np.ndarray, twice_scales: np.ndarray, offset: int, act_min: int,
                         act_max: int) -> IntegerRequant | None:
    """FULLY_CONNECTED: identical to the double path of ``round_scaled``."""
    references = [lambda acc, t=float(t): double_path(acc, t, 0, -2**40, 2**40) for t in twice_scales]
    return find_single_rounding(ranges, references, [float(t) / 2.0 for t in twice_scales],
                                (offset, act_min, act_max))


def find_conv_requant(ranges: np.ndarray, multipliers: np.ndarray, shifts: np.ndarray, offset: int,
                      act_min: int, act_max: int) -> IntegerRequant | None:
    """CONV_2D: identical to MultiplyByQuantizedMultiplier with the channel's (multiplier, shift)."""
    references = [lambda acc, m=int(m), s=int(s): tflite_multiply_by_quantized_multiplier(acc, m, s)
                  for m, s in zip(multipliers, shifts)]
    scales = [int(m) * 2.0 ** (int(s) - 31) for m, s in zip(multipliers, shifts)]
    return find_single_rounding(ranges, references, scales, (offset, act_min, act_max))
