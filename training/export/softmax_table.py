"""SOFTMAX's exps as a table: the gemmlowp fixed-point exp of every reachable (input - row maximum).

TFLite's int8 softmax (and ``tofhil_softmax_s8``) turns each difference d = x - max(row) in [diff_min, 0] into
exp(d * scale) in Q0.31 with gemmlowp's ``exp_on_negative_values`` (a polynomial and up to seven multiplies,
~140 instructions), sums them and scales. The exp depends on d alone, so the exporter computes each one here,
in integers exactly as ``tofhil_kernels.c`` does, and the generated softmax reads a table indexed by -d (the sum,
reciprocal and outputs stay the runtime's ``tofhil_softmax_outputs``).

The table stops where it stops mattering, exactly: an exp e < 2048 adds RDBP(e, 12) = 0 to the sum, and its
output is RDBP(SRDHM(scale, e), n + 23) - 128 with |SRDHM(scale, e)| <= e < 2^22 (scale <= 1 in Q0.31) and
n >= 0 (the row's maximum alone makes the sum 2^19), so -128: the same sum and output as an exp of 0, the
table's value past its end (and past diff_min, where TFLite skips the element). The exps fall with -d, so
every d past the first e < 2048 is such a d. Every entry is checked against the C kernel's
``tofhil_softmax_exp`` for several scales (tests/export/test_softmax_table.py); with the same exps the outputs
are the generic kernel's for every int8 input vector.
"""
from __future__ import annotations

import numpy as np

from training.export.lowering import KernelOp

INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)
MAX_TABLE_ENTRIES = 192  # 768 B of flash at most (the generic exp code is ~600 B at -O2)
NEGLIGIBLE_EXP = 2048  # an exp below it sums and outputs as 0 does (module docstring)


def _wrap32(value: int) -> int:
    return ((value + 2**31) % 2**32) - 2**31


def srdhm(a: int, b: int) -> int:
    """gemmlowp SaturatingRoundingDoublingHighMul."""
    if a == b == INT32_MIN:
        return INT32_MAX
    product = a * b
    nudged = product + ((1 << 30) if product >= 0 else 1 - (1 << 30))
    quotient = abs(nudged) >> 31
    return quotient if nudged >= 0 else -quotient


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if (x & mask) > threshold else 0)


def _saturating_shift_left(x: int, exponent: int) -> int:
    threshold = (1 << (31 - exponent)) - 1
    if x > threshold:
        return INT32_MAX
    if x < -threshold:
        return INT32_MIN
    return _wrap32(x << exponent)


def _exp_on_interval_quarter(a: int) -> int:
    constant_term, one_third = 1895147668, 715827883
    x = a + (1 << 28)
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4_over_4 = rounding_divide_by_pot(srdhm(x2, x2), 2)
    poly = rounding_divide_by_pot(srdhm(x4_over_4 + x3, one_third) + x2, 1)
    return constant_term + srdhm(constant_term, x + poly)


_MULTIPLIERS = (1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242)


def exp_on_negative_values(a: int) -> int:
    """exp(a) for a <= 0 in Q5.26, result in Q0.31 (tofhil_kernels.c's exp_on_negative_values)."""
    quarter = 1 << 24
    mod_minus_quarter = (a & (quarter - 1)) - quarter
    remainder = mod_minus_quarter - a
    result = _exp_on_interval_quarter(_saturating_shift_left(mod_minus_quarter, 5))
    bits = ((remainder & 0xFFFFFFFF) >> 24) & 0x7F
    for k in range(7):
        if bits >> k & 1:
            result = srdhm(result, _MULTIPLIERS[k])
    return INT32_MAX if a == 0 else result


def exp_of_diff(diff: int, multiplier: int, left_shift: int) -> int:
    """The Q0.31 exp of one difference d <= 0, as tofhil_kernels.c's exp_of_diff."""
    rescaled = srdhm(_wrap32(diff << left_shift), multiplier)
    return INT32_MAX if rescaled == 0 else exp_on_negative_values(rescaled)


def exp_table(op: KernelOp) -> np.ndarray | None:
    """exp of d = 0, -1, ..., -(len - 1) (index -d), up to the last one >= NEGLIGIBLE_EXP and at or above
    diff_min; None when longer than MAX_TABLE_ENTRIES (the generic kernel then computes them)."""
    f = op.fields
    table = []
    for k in range(min(255, -int(f["diff_min"])) + 1):
        value = exp_of_diff(-k, int(f["input_multiplier"]), int(f["input_left_shift"]))
        if value < NEGLIGIBLE_EXP:
            break
        if len(table) == MAX_TABLE_ENTRIES:
            return None
        table.append(value)
    return np.array(table, np.int64)
