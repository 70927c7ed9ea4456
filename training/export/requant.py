"""An integer requantization for FULLY_CONNECTED, proven identical to TFLite's double one.

TFLite's reference FULLY_CONNECTED requantizes in double: ``round(acc * scale)`` (half
away from zero), which is software floating point on a Cortex-M4F. The integer form

    out = (acc * M + 2^(n-1) - (acc < 0)) >> n        (64-bit product, arithmetic shift)

rounds ``acc * M / 2^n`` half away from zero. For each output channel the exporter
tries the closest (M, n) and its neighbours, and keeps the first that gives the same
clamped int8 output as the double path for EVERY accumulator the channel can reach
(bias plus weights times any int8 input, from :func:`limits.accumulator_ranges`).
The check is exhaustive, so the integer form is exact by construction; a channel with
no such form keeps the double path (the op then falls back as a whole).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_MULTIPLIER = 2**31 - 1
MAX_SHIFT = 62  # the 64-bit product plus the rounding term cannot overflow
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


def _candidates(scale: float):
    """(M, n) with M = scale * 2^n rounded, as many significant bits as fit, then its neighbours."""
    if not 0.0 < scale < 2.0**30:
        return
    shift = min(MAX_SHIFT, 30 - math.frexp(scale)[1] + 1)
    while shift >= 1:
        center = round(scale * 2.0**shift)
        if center <= MAX_MULTIPLIER:
            for multiplier in (center, center - 1, center + 1):
                if 0 < multiplier <= MAX_MULTIPLIER:
                    yield multiplier, shift
            return
        shift -= 1


def _identical(low: int, high: int, twice_scale: float, multiplier: int, shift: int, clamp: tuple) -> bool:
    for start in range(low, high + 1, CHUNK):
        acc = np.arange(start, min(start + CHUNK, high + 1), dtype=np.int64)
        if not np.array_equal(double_path(acc, twice_scale, *clamp), integer_path(acc, multiplier, shift, *clamp)):
            return False
    return True


def find_integer_requant(ranges: np.ndarray, twice_scales: np.ndarray, offset: int, act_min: int,
                         act_max: int) -> IntegerRequant | None:
    """Per-channel (M, n) identical to the double path over ``ranges``; None if some channel has none."""
    multipliers, shifts, checked = [], [], 0
    for (low, high), twice_scale in zip(ranges, twice_scales):
        found = next((pair for pair in _candidates(float(twice_scale) / 2.0)
                      if _identical(int(low), int(high), float(twice_scale), *pair, (offset, act_min, act_max))),
                     None)
        if found is None:
            return None
        multipliers.append(found[0])
        shifts.append(found[1])
        checked += int(high - low + 1)
    return IntegerRequant(np.array(multipliers, np.int32), np.array(shifts, np.uint8), checked)
