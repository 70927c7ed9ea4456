"""Preprocessing against frames computed by hand, step by step as facts.md lists them."""
from __future__ import annotations

import numpy as np
import pytest

from training.data.preprocess import PreprocessingSpec, RawFrames, keep_mask, preprocess, quantize_input


def frame(zones: dict[int, tuple[int, int, int]], default=(4000, 0, 0)) -> RawFrames:
    """One frame; ``zones`` maps zone index -> (distance_mm, signal, status)."""
    d = np.full(64, default[0], np.int16)
    s = np.full(64, default[1], np.uint16)
    t = np.full(64, default[2], np.uint8)
    for j, (dist, sig, status) in zones.items():
        d[j], s[j], t[j] = dist, sig, status
    return RawFrames(d[None], s[None], t[None])


def test_st_normalization_by_hand():
    # zone 9 is the hand (200 mm), zone 10 background within 120 mm, zone 11 too far, zone 12 invalid status
    raw = frame({9: (200, 1000, 5), 10: (300, 500, 9), 11: (330, 400, 5), 12: (210, 800, 4)})
    x, kept = preprocess(raw, PreprocessingSpec(400, 100, 120, "st"))
    assert kept.tolist() == [True]
    assert x.shape == (1, 8, 8, 2) and x.dtype == np.float32
    # zone j -> row j // 8, column j % 8
    assert x[0, 1, 1, 0] == np.float32((200 - 295) / 196)
    assert x[0, 1, 1, 1] == np.float32((1000 - 281) / 452)
    assert x[0, 1, 2, 0] == np.float32((300 - 295) / 196)
    # removed background and invalid zones: distance 4000, signal 0
    for col in (3, 4):
        assert x[0, 1, col, 0] == np.float32((4000 - 295) / 196)
        assert x[0, 1, col, 1] == np.float32((0 - 281) / 452)


def test_hand_relative_normalization_by_hand():
    raw = frame({0: (150, 400, 9), 1: (210, 100, 5), 63: (500, 900, 5)})
    x, _ = preprocess(raw, PreprocessingSpec(400, 100, 120, "hand_relative"))
    assert x[0, 0, 0, 0] == 0.0 and x[0, 0, 0, 1] == 1.0  # closest zone, peak signal
    assert x[0, 0, 1, 0] == np.float32(60) / np.float32(120)
    assert x[0, 0, 1, 1] == np.float32(100) / np.float32(400)
    assert x[0, 7, 7, 0] == 2.0 and x[0, 7, 7, 1] == 0.0  # beyond the background distance: far, no signal


@pytest.mark.parametrize("closest,kept", [(99, False), (100, True), (400, True), (401, False)])
def test_distance_filter_is_inclusive(closest, kept):
    raw = frame({20: (closest, 100, 5)})
    assert keep_mask(raw, PreprocessingSpec(400, 100, 120)).tolist() == [kept]


def test_frame_without_valid_zone_is_dropped():
    raw = frame({20: (200, 100, 4)})  # status 4 is not valid: min = 4000 > Max
    x, kept = preprocess(raw, PreprocessingSpec())
    assert kept.tolist() == [False] and x.shape == (0, 8, 8, 2)


def test_only_status_5_and_9_are_valid():
    # the nearer zone has status 13, so the closest *valid* zone is 250 mm
    raw = frame({5: (120, 900, 13), 6: (250, 300, 9)})
    x, _ = preprocess(raw, PreprocessingSpec(400, 100, 120, "hand_relative"))
    assert x[0, 0, 6, 0] == 0.0 and x[0, 0, 5, 0] == 2.0


def test_quantize_rounds_half_away_from_zero_and_saturates():
    values = np.array([0.5, 1.5, -0.5, -1.5, 0.49, 1000.0, -1000.0], np.float32)
    q = quantize_input(values, scale=1.0, zero_point=0)
    assert q.tolist() == [1, 2, -1, -2, 0, 127, -128]
    assert quantize_input(np.array([0.25], np.float32), 0.5, -10).tolist() == [-9]


def test_center_hand_moves_the_centroid_to_the_middle():
    # a 2x2 hand in the top-left corner: rows/cols 0-1, mean index 0.5 -> shift floor(4 - 0.5) = 3
    raw = frame({0: (200, 100, 5), 1: (200, 100, 5), 8: (200, 100, 5), 9: (210, 50, 5)})
    x, _ = preprocess(raw, PreprocessingSpec(400, 100, 120, "hand_relative", center_hand=True))
    hand = x[0, :, :, 0] < 2.0
    assert np.argwhere(hand).tolist() == [[3, 3], [3, 4], [4, 3], [4, 4]]
    assert x[0, 4, 4, 0] == np.float32(10) / np.float32(120) and x[0, 4, 4, 1] == np.float32(0.5)


def test_center_hand_drops_zones_pushed_out_of_the_frame():
    # hand mostly at the bottom right plus one zone at (0, 0): it is shifted out of view
    zones = {j: (200, 100, 5) for j in (54, 55, 62, 63, 46, 47)}
    zones[0] = (250, 400, 5)
    x, _ = preprocess(frame(zones), PreprocessingSpec(400, 100, 120, "hand_relative", center_hand=True))
    assert (x[0, :, :, 0] < 2.0).sum() == 6
    assert x[0, :, :, 1].max() == 1.0  # the peak is taken after the shift: the 400-signal zone is gone
