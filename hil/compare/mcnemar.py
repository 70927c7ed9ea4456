"""McNemar's test of two classifiers on the same frames, exact: under "equally accurate" each discordant frame
(right on one board, wrong on the other) is a fair coin, so the two-sided p-value is a binomial tail.

The exact form is valid at any count (the chi-square form is an approximation for large counts only), and
``math.comb`` keeps it exact for the few thousand frames of a test set.
"""
from __future__ import annotations

import math


def mcnemar_exact(only_a_right: int, only_b_right: int) -> float:
    """Two-sided exact p-value: 2 x P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2), at most 1 (1 with no
    discordant frame: nothing tells the two apart)."""
    if only_a_right < 0 or only_b_right < 0:
        raise ValueError("discordant counts must be >= 0")
    n = only_a_right + only_b_right
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(only_a_right, only_b_right) + 1))
    return min(1.0, 2 * tail / 2 ** n)
