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
MAX_FOLD_CHECK = 1 << 28  # accumulators per op, a few seconds of numpy


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


@dataclass(frozen=True)
class FoldedRequant:
    """out = clamp(floor((acc * M + K) / 2^(32 + shift))) on the accumulator WITHOUT bias: one SMLAL
    and a shift of the high word. K folds the bias, the rounding terms and the output offset."""
    multipliers: np.ndarray  # int32 per channel
    offsets: np.ndarray  # int64 K per channel
    shifts: np.ndarray  # uint8 per channel, shift of the high word (n - 32)
    checked_accumulators: int


def folded_path(acc: np.ndarray, multiplier: int, offset: int, shift: int, act_min: int, act_max: int):
    return np.clip((acc.astype(np.int64) * multiplier + offset) >> (32 + shift), act_min, act_max)


def _fold_channel(low: int, high: int, bias: int, reference, form: tuple, clamp: tuple):
    """K of one channel's (M, n, rounding) form if it equals ``reference`` on every accumulator, else None.

    Valid where the sign-dependent half of the rounding never shows: a ReLU-like clamp
    (act_min >= output offset) sends every negative product to act_min either way."""
    multiplier, n, rounding = form
    offset = bias * multiplier + rounding + clamp[0] * 2**n
    if not 32 <= n <= 63 or max(abs(low), abs(high)) * multiplier + abs(offset) >= 2**62:
        return None
    for start in range(low, high + 1, CHUNK):
        acc = np.arange(start, min(start + CHUNK, high + 1), dtype=np.int64)
        expected = np.clip(reference(acc) + clamp[0], clamp[1], clamp[2])
        if not np.array_equal(expected, folded_path(acc - bias, multiplier, offset, n - 32, *clamp[1:])):
            return None
    return offset


def fold_requant(ranges: np.ndarray, bias: np.ndarray, references: list, forms: list, clamp: tuple):
    """Per-channel folded form proven equal to ``references[c](acc)`` (acc with bias) over ``ranges``;
    None if a channel has none or the check would exceed MAX_FOLD_CHECK accumulators (export time)."""
    if int((ranges[:, 1] - ranges[:, 0] + 1).sum()) > MAX_FOLD_CHECK:
        return None
    offsets = []
    for (low, high), b, reference, form in zip(ranges, bias, references, forms):
        offset = _fold_channel(int(low), int(high), int(b), reference, form, clamp)
        if offset is None:
            return None
        offsets.append(offset)
    return FoldedRequant(np.array([f[0] for f in forms], np.int32), np.array(offsets, np.int64),
                         np.array([f[1] - 32 for f in forms], np.uint8), int((ranges[:, 1] - ranges[:, 0] + 1).sum()))


def fold_conv_requant(ranges, bias, multipliers, shifts, offset: int, act_min: int, act_max: int):
    """CONV_2D with right shifts r: floor((acc*M + 2^30 + 2^(30+r)) / 2^(31+r)) is TFLite's double
    rounding for acc*M >= 0 (nested floors compose), so a ReLU-like clamp makes it exact."""
    if (shifts > -1).any():
        return None
    references = [lambda acc, m=int(m), s=int(s): tflite_multiply_by_quantized_multiplier(acc, m, s)
                  for m, s in zip(multipliers, shifts)]
    forms = [(int(m), 31 - int(s), 2**30 + 2**(30 - int(s))) for m, s in zip(multipliers, shifts)]
    return fold_requant(ranges, bias, references, forms, (offset, act_min, act_max))


def fold_fc_requant(ranges, bias, found: IntegerRequant, twice_scales, offset: int, act_min: int, act_max: int):
    """FULLY_CONNECTED: the single rounding of ``found`` with the half added for every sign."""
    references = [lambda acc, t=float(t): double_path(acc, t, 0, -2**40, 2**40) for t in twice_scales]
    forms = [(int(m), int(n), 2**(int(n) - 1)) for m, n in zip(found.multipliers, found.shifts)]
    return fold_requant(ranges, bias, references, forms, (offset, act_min, act_max))
