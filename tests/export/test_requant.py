"""The integer requantizations the specialised code uses: found only where provably identical."""
from __future__ import annotations

import numpy as np

from training.export.requant import double_path, find_integer_requant, integer_path
from training.export.specialize import _right_only, reorder_for_sxtb16


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
