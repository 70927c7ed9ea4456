"""The integer requantizations the specialised code uses: found only where provably identical."""
from __future__ import annotations

import numpy as np

from training.export.requant import (double_path, find_integer_requant, fold_conv_requant, folded_path, integer_path,
                                     tflite_multiply_by_quantized_multiplier)
from training.export.specialize import _right_only, interleave_row_quads, reorder_for_sxtb16


def test_found_fc_form_equals_the_double_path_on_every_accumulator():
    ranges = np.array([[-300_000, 250_000], [-5_000, 90_000]])
    twice_scales = np.array([2 * 0.0013579, 2 * 0.000777])
    found = find_integer_requant(ranges, twice_scales, offset=-7, act_min=-128, act_max=127)
    assert found is not None and (found.shifts >= 33).all()
    assert found.checked_accumulators == int((ranges[:, 1] - ranges[:, 0] + 1).sum())
    for (low, high), twice, m, n in zip(ranges, twice_scales, found.multipliers, found.shifts):
        acc = np.arange(low, high + 1)
        np.testing.assert_array_equal(integer_path(acc, int(m), int(n), -7, -128, 127),
                                      double_path(acc, float(twice), -7, -128, 127))


def test_scale_without_a_high_word_form_keeps_the_double_path():
    # scale >= 1 has no (M < 2^31, n >= 33) form: the op falls back to the double kernel
    assert find_integer_requant(np.array([[-10, 10]]), np.array([2 * 1.5]), 0, -128, 127) is None


def test_sxtb16_layout_swaps_the_middle_of_each_full_group():
    weights = np.arange(10, dtype=np.int8).reshape(1, 10)
    np.testing.assert_array_equal(reorder_for_sxtb16(weights)[0], [0, 2, 1, 3, 4, 6, 5, 7, 8, 9])


def test_right_only_requantization_needs_right_shifts_and_headroom():
    ranges = np.array([[-1000, 1000]])
    assert _right_only(np.array([-1, -7]), ranges)
    assert not _right_only(np.array([0, -7]), ranges)
    assert not _right_only(np.array([-31]), np.array([[-2**31 + 1, 0]]))


def _tflite_conv_outputs(acc, multiplier, shift, offset, act_min, act_max):
    return np.clip(tflite_multiply_by_quantized_multiplier(acc, multiplier, shift) + offset, act_min, act_max)


def test_folded_conv_form_equals_tflite_on_every_accumulator_under_relu():
    ranges = np.array([[-400_000, 300_000], [-20_000, 150_000]])
    bias = np.array([-10_827, 6_328])
    multipliers, shifts = np.array([1129224058, 1763491346]), np.array([-6, -5])
    found = fold_conv_requant(ranges, bias, multipliers, shifts, offset=-128, act_min=-128, act_max=127)
    assert found is not None and found.checked_accumulators == int((ranges[:, 1] - ranges[:, 0] + 1).sum())
    for (low, high), b, m, s, k, n in zip(ranges, bias, multipliers, shifts, found.offsets, found.shifts):
        acc = np.arange(low, high + 1)
        np.testing.assert_array_equal(folded_path(acc - b, int(m), int(k), int(n), -128, 127),
                                      _tflite_conv_outputs(acc, int(m), int(s), -128, -128, 127))


def test_folded_conv_form_is_refused_where_the_negative_rounding_shows():
    # no ReLU-like clamp (outputs around 0): negative ties round away from zero, the single floor cannot
    ranges, bias = np.array([[-300_000, 300_000]]), np.array([0])
    assert fold_conv_requant(ranges, bias, np.array([1129224058]), np.array([-6]), 0, -128, 127) is None
    # left shifts are not folded
    assert fold_conv_requant(ranges, bias, np.array([1129224058]), np.array([1]), -128, -128, 127) is None


def test_row_quads_interleave_groups_of_four_then_the_tails():
    weights = np.arange(5 * 6, dtype=np.int8).reshape(5, 6)  # 5 rows: one quad and a leftover row
    flat = interleave_row_quads(weights)
    expected_quad = [*range(0, 4), *range(6, 10), *range(12, 16), *range(18, 22), 4, 5, 10, 11, 16, 17, 22, 23]
    np.testing.assert_array_equal(flat, [*expected_quad, *range(24, 30)])


def test_folding_is_skipped_when_the_exhaustive_check_would_be_too_long():
    ranges = np.array([[-2**30, 2**30]])
    assert fold_conv_requant(ranges, np.array([0]), np.array([1129224058]), np.array([-6]), -128, -128, 127) is None
