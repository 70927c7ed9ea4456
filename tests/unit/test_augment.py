"""Augmentation of raw frames: geometry, physics limits, config errors, determinism."""
from __future__ import annotations

import numpy as np
import pytest

from training.data.augment import (RawAugmenter, balanced_class_weights, distance_offset, epoch_batches, flip,
                                   shift, signal_scale, zone_dropout)
from training.data.preprocess import PreprocessingSpec, RawFrames, closest_valid_distance, keep_mask, valid_zone_mask
from training.errors import ConfigError

SPEC = PreprocessingSpec()


def hand_frames(n: int = 32, seed: int = 0) -> RawFrames:
    """A 'hand' of valid zones at 150-260 mm (within one Background_distance) in a random 4x4 to 6x6 box;
    the other zones are background at 900 mm, half of them with no target."""
    rng = np.random.default_rng(seed)
    distance = np.full((n, 64), 900, np.int16)
    signal = rng.integers(5, 40, (n, 64)).astype(np.uint16)
    status = np.where(rng.random((n, 64)) < 0.5, 5, 0).astype(np.uint8)
    for i in range(n):
        size = rng.integers(4, 7)
        r0, c0 = rng.integers(0, 9 - size, 2)
        box = np.zeros((8, 8), bool)
        box[r0:r0 + size, c0:c0 + size] = True
        box = box.ravel()
        distance[i, box] = rng.integers(150, 260, box.sum())
        signal[i, box] = rng.integers(200, 3000, box.sum())
        status[i, box] = rng.choice([5, 9], box.sum())
    return RawFrames(distance, signal, status)


def grid_frames() -> RawFrames:
    """One frame whose zone j holds distance 200 + j, so positions can be read back."""
    j = np.arange(64)
    return RawFrames((200 + j)[None].astype(np.int16), (1000 + j)[None].astype(np.uint16),
                     np.full((1, 64), 5, np.uint8))


def as_grid(values: np.ndarray) -> np.ndarray:
    return values.reshape(-1, 8, 8)


class AlwaysHalf:
    """A generator stand-in whose uniform draws are all 0 (so every 'p < 0.5' fires)."""

    def random(self, size):
        return np.zeros(size)


def test_horizontal_flip_maps_zone_r_c_to_r_7_minus_c():
    frames = grid_frames()
    out = flip(frames, AlwaysHalf(), "horizontal")
    np.testing.assert_array_equal(as_grid(out.distance_mm)[0], as_grid(frames.distance_mm)[0][:, ::-1])
    np.testing.assert_array_equal(as_grid(out.signal_per_spad)[0], as_grid(frames.signal_per_spad)[0][:, ::-1])


def test_vertical_and_both_flips():
    frames = grid_frames()
    grid = as_grid(frames.distance_mm)[0]
    np.testing.assert_array_equal(as_grid(flip(frames, AlwaysHalf(), "vertical").distance_mm)[0], grid[::-1])
    np.testing.assert_array_equal(as_grid(flip(frames, AlwaysHalf(), "horizontal_and_vertical").distance_mm)[0],
                                  grid[::-1, ::-1])


def test_flip_happens_to_about_half_the_frames_and_keeps_zone_multisets():
    frames = RawFrames.concatenate([grid_frames()] * 2000)
    out = flip(frames, np.random.default_rng(1), "horizontal")
    flipped = np.mean(np.any(out.distance_mm != frames.distance_mm, axis=1))
    assert 0.45 < flipped < 0.55
    np.testing.assert_array_equal(np.sort(out.distance_mm, axis=1), np.sort(frames.distance_mm, axis=1))


@pytest.mark.parametrize("max_zones", [1, 2])
def test_shift_moves_zones_and_fills_the_uncovered_edge_with_no_target(max_zones):
    frames = RawFrames.concatenate([grid_frames()] * 500)
    out = shift(frames, np.random.default_rng(2), max_zones)
    seen = set()
    for i in range(len(out)):
        d, status = as_grid(out.distance_mm)[i], as_grid(out.target_status)[i]
        covered = status == 5
        rows, cols = np.nonzero(covered)
        source = d[covered] - 200  # zone index the value came from
        dy, dx = rows - source // 8, cols - source % 8
        assert len(set(dy)) == 1 and len(set(dx)) == 1, "a shift moves every zone by the same (dy, dx)"
        dy, dx = int(dy[0]), int(dx[0])
        assert abs(dy) <= max_zones and abs(dx) <= max_zones
        assert covered.sum() == (8 - abs(dy)) * (8 - abs(dx))
        assert np.all(as_grid(out.signal_per_spad)[i][~covered] == 0)
        seen.add((dy, dx))
    assert len(seen) == (2 * max_zones + 1) ** 2


def test_distance_offset_keeps_every_frame_inside_the_distance_filter():
    frames = hand_frames(400)
    assert keep_mask(frames, SPEC).all()
    out = distance_offset(frames, np.random.default_rng(3), SPEC, max_mm=200)
    assert keep_mask(out, SPEC).all()
    moved = closest_valid_distance(out, valid_zone_mask(out)) - closest_valid_distance(frames, valid_zone_mask(frames))
    assert np.abs(moved).max() <= 200 and np.std(moved) > 20


def test_distance_offset_moves_the_hand_not_the_background_and_signal_follows_inverse_square():
    frames = hand_frames(50)
    out = distance_offset(frames, np.random.default_rng(4), SPEC, max_mm=60)
    background = frames.distance_mm == 900
    np.testing.assert_array_equal(out.distance_mm[background], 900)
    hand = valid_zone_mask(frames) & ~background
    offset = out.distance_mm.astype(int) - frames.distance_mm
    for i in range(len(frames)):
        assert len(set(offset[i][hand[i]])) == 1, "the whole hand moves by one offset"
    expected = frames.signal_per_spad * (frames.distance_mm / out.distance_mm.astype(float)) ** 2
    np.testing.assert_allclose(out.signal_per_spad[hand], expected[hand], atol=0.5 + 1e-9)


def test_signal_scale_stays_in_range():
    frames = hand_frames(200)
    out = signal_scale(frames, np.random.default_rng(5), 0.7, 1.3)
    bright = frames.signal_per_spad >= 200
    ratio = out.signal_per_spad[bright] / frames.signal_per_spad[bright].astype(float)
    assert ratio.min() >= 0.7 - 0.01 and ratio.max() <= 1.3 + 0.01
    np.testing.assert_array_equal(out.distance_mm, frames.distance_mm)


def test_zone_dropout_rate_is_respected():
    frames = RawFrames(np.full((500, 64), 200, np.int16), np.full((500, 64), 900, np.uint16),
                       np.full((500, 64), 5, np.uint8))
    out = zone_dropout(frames, np.random.default_rng(6), 0.1)
    rate = np.mean(out.target_status == 0)
    assert 0.09 < rate < 0.11
    assert set(np.unique(out.target_status)) == {0, 5}


def test_augmenter_outputs_only_frames_that_pass_the_filter_and_keeps_the_count():
    frames = hand_frames(300)
    augmenter = RawAugmenter.from_config({"random_shift": {"max_zones": 3}, "random_zone_dropout": {"rate": 0.5},
                                          "random_distance_offset": {"max_mm": 100}}, SPEC)
    out = augmenter.augment(frames, np.random.default_rng(7))
    assert len(out) == len(frames)
    assert keep_mask(out, SPEC).all()


def test_same_seed_same_output_and_different_seed_different_output():
    frames = hand_frames(64)
    config = {"random_flip": {"mode": "horizontal_and_vertical"}, "random_shift": {"max_zones": 1},
              "random_distance_offset": {"max_mm": 60}, "random_signal_scale": {"range": [0.7, 1.3]},
              "random_zone_dropout": {"rate": 0.05}}
    augmenter = RawAugmenter.from_config(config, SPEC)
    a = augmenter.augment(frames, np.random.default_rng(11))
    b = augmenter.augment(frames, np.random.default_rng(11))
    c = augmenter.augment(frames, np.random.default_rng(12))
    for field in ("distance_mm", "signal_per_spad", "target_status"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        assert getattr(a, field).dtype == getattr(frames, field).dtype
    assert not np.array_equal(a.distance_mm, c.distance_mm)


def test_epoch_batches_are_deterministic_per_epoch_and_differ_between_epochs():
    frames, labels = hand_frames(64), np.arange(64) % 8
    augmenter = RawAugmenter.from_config({"random_shift": {"max_zones": 1}}, SPEC)
    x0, y0, _ = epoch_batches(frames, labels, SPEC, augmenter, seed=1, epoch=0)
    x0b, y0b, _ = epoch_batches(frames, labels, SPEC, augmenter, seed=1, epoch=0)
    x1, _, _ = epoch_batches(frames, labels, SPEC, augmenter, seed=1, epoch=1)
    np.testing.assert_array_equal(x0, x0b)
    np.testing.assert_array_equal(y0, y0b)
    assert not np.array_equal(x0, x1)
    assert x0.shape == (64, 8, 8, 2) and sorted(y0) == sorted(labels)


def test_balanced_class_weights():
    weights = balanced_class_weights(np.array([0, 0, 0, 1]), 3)
    np.testing.assert_allclose(weights, [4 / 6, 2.0, 0.0])


def test_empty_section_is_a_no_op():
    frames = hand_frames(4)
    augmenter = RawAugmenter.from_config(None, SPEC)
    assert not augmenter
    assert augmenter.augment(frames, np.random.default_rng(0)) is frames


@pytest.mark.parametrize("section, message", [
    ({"random_flip": {"mode": "diagonal"}},
     "data_augmentation.random_flip.mode: 'diagonal' is not one of ['horizontal', 'vertical', "
     "'horizontal_and_vertical']"),
    ({"random_rotation": {"factor": 0.1}}, "data_augmentation.random_rotation: unknown augmentation"),
    ({"random_shift": {"max_zones": 1.5}}, "data_augmentation.random_shift.max_zones: 1.5 is not an integer"),
    ({"random_shift": {}}, "data_augmentation.random_shift: missing argument(s) ['max_zones']"),
    ({"random_shift": {"max_zones": 1, "fill": 0}}, "data_augmentation.random_shift: unknown argument(s) ['fill']"),
    ({"random_distance_offset": {"max_mm": -5}}, "data_augmentation.random_distance_offset.max_mm: -5"),
    ({"random_signal_scale": {"range": [1.3, 0.7]}}, "data_augmentation.random_signal_scale.range: low 1.3"),
    ({"random_signal_scale": {"range": 0.7}}, "data_augmentation.random_signal_scale.range: 0.7 is not a pair"),
    ({"random_zone_dropout": {"rate": 1.5}}, "data_augmentation.random_zone_dropout.rate: 1.5 is not a number"),
    ({"random_zone_dropout": {"rate": True}}, "data_augmentation.random_zone_dropout.rate: True"),
    ([{"random_flip": None}], "data_augmentation: expected a mapping"),
])
def test_bad_config_names_the_key_path(section, message):
    with pytest.raises(ConfigError) as error:
        RawAugmenter.from_config(section, SPEC)
    assert message in str(error.value)


def test_augmented_sequence_batches_weights_and_reaugments_each_epoch():
    import keras  # noqa: F401  (AugmentedSequence needs it)
    from training.data.augment import AugmentedSequence
    frames, labels = hand_frames(40), np.array([0] * 30 + [1] * 10)
    augmenter = RawAugmenter.from_config({"random_shift": {"max_zones": 1}}, SPEC)
    data = AugmentedSequence(frames, labels, SPEC, augmenter, batch_size=16, seed=3, class_weight="balanced",
                             num_classes=2)
    assert len(data) == 3
    x, y, w = data[2]
    assert x.shape == (8, 8, 8, 2) and y.shape == (8, 2)
    first = np.concatenate([data[i][0] for i in range(len(data))])
    weights = np.concatenate([data[i][2] for i in range(len(data))])
    targets = np.concatenate([data[i][1] for i in range(len(data))]).argmax(axis=1)
    np.testing.assert_allclose(weights[targets == 0], 40 / 60)
    np.testing.assert_allclose(weights[targets == 1], 2.0)
    data.on_epoch_end()
    assert not np.array_equal(first, np.concatenate([data[i][0] for i in range(len(data))]))


def test_distance_offset_with_rescale_makes_a_nearer_hand_cover_more_zones():
    distance = np.full((1, 8, 8), 900, np.int16)
    distance[0, 3:5, 3:5] = 200  # a 2x2 hand in the middle, background behind
    frames = RawFrames(distance.reshape(1, 64), np.full((1, 64), 500, np.uint16), np.full((1, 64), 5, np.uint8))
    # a zero draw picks the lowest offset allowed: 100 mm nearer (Min_distance is 100), so twice the size
    out = distance_offset(frames, AlwaysHalf(), SPEC, max_mm=150, rescale=True)
    hand = as_grid(out.distance_mm)[0] == 100
    assert hand.sum() == 16 and hand[2:6, 2:6].all()
    np.testing.assert_array_equal(as_grid(out.signal_per_spad)[0][hand], 2000)  # (200 / 100) ** 2 * 500
