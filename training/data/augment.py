"""Data augmentation on raw integer sensor frames (the ``data_augmentation`` section).

Every augmentation edits :class:`RawFrames` (distance in mm, signal per SPAD,
target status) *before* the same ``preprocess()`` used for validation, test and
the firmware, so each augmented sample is a frame the VL53L8CX could have sent,
whatever the normalization mode. Zone j is row ``j // 8``, column ``j % 8``.

Entries are applied in their order of appearance in the YAML (as in ST's model
zoo). All draws are per frame and vectorised; the same generator state gives the
same output. Each augmentation and the probability it is applied with:

  random_flip             mirror the frame; ``mode`` as Keras ``RandomFlip``:
      mode: horizontal    ``horizontal`` mirrors columns (zone (r, c) -> (r, 7 - c),
                          a left hand seen as a right hand), ``vertical`` mirrors rows,
                          ``horizontal_and_vertical`` draws each axis on its own.
                          Each axis flips with probability 0.5.
  random_shift            the hand held up to ``max_zones`` zones off centre: the frame
      max_zones: 1        is translated by (dy, dx) drawn uniformly in [-N, N] per axis;
                          zones that enter from the edge report no target.
  random_distance_offset  the hand held nearer or farther: hand zones (valid, within
      max_mm: 60          ``min + Background_distance``) move by an offset drawn uniformly
                          in [-max_mm, max_mm], clipped so that the closest zone stays in
                          [Min_distance, Max_distance]. With ``inverse_square: true``
                          (default) their signal follows 1 / d^2, as a diffuse target does.
                          With ``rescale: true`` the frame is also resampled (nearest zone)
                          about the hand's centroid by closest / (closest + offset): a
                          nearer hand covers more zones. The background does not move.
  random_signal_scale     reflectivity and gain (skin tone, sleeve, sensor unit): every
      range: [0.7, 1.3]   zone's signal is multiplied by one factor per frame, drawn
                          uniformly in the range.
  random_zone_dropout     a zone misses the target (status 0, as on edges and low
      rate: 0.05          signal): each zone independently with probability ``rate``.

A frame that an augmentation pushes out of the distance filter (its closest valid
zone leaves [Min_distance, Max_distance], e.g. the hand is shifted out of view)
is replaced by its original, so the number of frames and their labels never change.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from training.data.preprocess import (NO_TARGET_MM, ZONES, PreprocessingSpec, RawFrames,
                                      closest_valid_distance, keep_mask, preprocess, valid_zone_mask)
from training.errors import ConfigError

SECTION = "data_augmentation"
FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")
NO_TARGET_STATUS = 0
# what a zone with no target is filled with; preprocessing ignores both (status 0 is invalid)
FILL_DISTANCE_MM, FILL_SIGNAL = NO_TARGET_MM, 0
_ROWS, _COLS = np.divmod(np.arange(ZONES), 8)
_INT16, _UINT16 = np.iinfo(np.int16), np.iinfo(np.uint16)


# ---- the augmentations: each is a pure function (frames, rng, spec) -> frames -------------------------------

def flip(frames: RawFrames, rng: np.random.Generator, mode: str) -> RawFrames:
    n = len(frames)
    rows, cols = np.broadcast_to(_ROWS, (n, ZONES)), np.broadcast_to(_COLS, (n, ZONES))
    if mode in ("horizontal", "horizontal_and_vertical"):
        cols = np.where(rng.random(n)[:, None] < 0.5, 7 - cols, cols)
    if mode in ("vertical", "horizontal_and_vertical"):
        rows = np.where(rng.random(n)[:, None] < 0.5, 7 - rows, rows)
    return _gather(frames, rows * 8 + cols)


def shift(frames: RawFrames, rng: np.random.Generator, max_zones: int) -> RawFrames:
    n = len(frames)
    dy = rng.integers(-max_zones, max_zones + 1, size=(n, 1))
    dx = rng.integers(-max_zones, max_zones + 1, size=(n, 1))
    src_rows, src_cols = _ROWS - dy, _COLS - dx  # output zone (r, c) shows input zone (r - dy, c - dx)
    inside = (src_rows >= 0) & (src_rows < 8) & (src_cols >= 0) & (src_cols < 8)
    return _gather(frames, np.where(inside, src_rows * 8 + src_cols, -1))


def distance_offset(frames: RawFrames, rng: np.random.Generator, spec: PreprocessingSpec, max_mm: int,
                    inverse_square: bool = True, rescale: bool = False) -> RawFrames:
    valid = valid_zone_mask(frames)
    closest = closest_valid_distance(frames, valid)
    low = np.maximum(-max_mm, spec.min_distance - closest)
    high = np.minimum(max_mm, spec.max_distance - closest)
    offset = np.where(low <= high, np.floor(low + rng.random(len(frames)) * (high - low + 1)), 0)
    offset = np.minimum(offset, high).astype(np.int32)[:, None]  # guard the draw's upper edge
    if rescale:
        hand = valid & (frames.distance_mm <= closest[:, None] + spec.background_distance)
        frames = _rescale_about_hand(frames, hand, closest / np.maximum(closest + offset[:, 0], 1))
        valid = valid_zone_mask(frames)
        closest = closest_valid_distance(frames, valid)
    distance = frames.distance_mm.astype(np.int32)
    hand = valid & (distance <= closest[:, None] + spec.background_distance)
    moved = np.where(hand, distance + offset, distance)
    signal = frames.signal_per_spad.astype(np.float64)
    if inverse_square:
        ratio = distance / np.maximum(moved, 1).astype(np.float64)
        signal = np.where(hand & (distance > 0), signal * ratio * ratio, signal)
    return RawFrames(np.clip(moved, _INT16.min, _INT16.max).astype(np.int16), _to_signal(signal),
                     frames.target_status.copy())


def _rescale_about_hand(frames: RawFrames, hand: np.ndarray, size: np.ndarray) -> RawFrames:
    """Nearest-zone resampling by ``size`` (apparent size ratio) about the centroid of the hand zones."""
    count = np.maximum(hand.sum(axis=1), 1)
    row_c = (hand * _ROWS).sum(axis=1) / count
    col_c = (hand * _COLS).sum(axis=1) / count
    size = size[:, None]
    src_rows = np.floor(row_c[:, None] + (_ROWS - row_c[:, None]) / size + 0.5).astype(np.int64)
    src_cols = np.floor(col_c[:, None] + (_COLS - col_c[:, None]) / size + 0.5).astype(np.int64)
    inside = (src_rows >= 0) & (src_rows < 8) & (src_cols >= 0) & (src_cols < 8)
    return _gather(frames, np.where(inside, src_rows * 8 + src_cols, -1))


def signal_scale(frames: RawFrames, rng: np.random.Generator, low: float, high: float) -> RawFrames:
    factor = rng.uniform(low, high, size=(len(frames), 1))
    return RawFrames(frames.distance_mm.copy(), _to_signal(frames.signal_per_spad * factor),
                     frames.target_status.copy())


def zone_dropout(frames: RawFrames, rng: np.random.Generator, rate: float) -> RawFrames:
    dropped = rng.random(frames.target_status.shape) < rate
    status = np.where(dropped, NO_TARGET_STATUS, frames.target_status).astype(np.uint8)
    return RawFrames(frames.distance_mm.copy(), frames.signal_per_spad.copy(), status)


def _gather(frames: RawFrames, source: np.ndarray) -> RawFrames:
    """Output zone j of frame i takes input zone ``source[i, j]``; -1 means no target."""
    missing = source < 0
    index = np.where(missing, 0, source)

    def take(values, fill):
        return np.where(missing, fill, np.take_along_axis(values, index, axis=1)).astype(values.dtype)

    return RawFrames(take(frames.distance_mm, FILL_DISTANCE_MM), take(frames.signal_per_spad, FILL_SIGNAL),
                     take(frames.target_status, NO_TARGET_STATUS))


def _to_signal(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, _UINT16.max).astype(np.uint16)


# ---- configuration --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AugmentationStep:
    name: str
    apply: Callable[[RawFrames, np.random.Generator], RawFrames]
    params: dict


def _params(name: str, entry: Any, allowed: dict[str, bool]) -> dict:
    """Check the keys of one entry; ``allowed`` maps key -> required."""
    path = f"{SECTION}.{name}"
    if entry is None:
        entry = {}
    if not isinstance(entry, dict):
        raise ConfigError(f"{path}: expected a mapping of arguments, got {entry!r}")
    unknown = sorted(set(entry) - set(allowed))
    if unknown:
        raise ConfigError(f"{path}: unknown argument(s) {unknown}; allowed: {sorted(allowed)}")
    missing = sorted(k for k, required in allowed.items() if required and k not in entry)
    if missing:
        raise ConfigError(f"{path}: missing argument(s) {missing}")
    return dict(entry)


def _number(path: str, value: Any, low: float, high: float, integer: bool = False) -> float:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not (low <= value <= high) or \
            (not integer and not math.isfinite(value)):
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{path}: {value!r} is not {kind} in [{low}, {high}]")
    return value


def _build_flip(entry, spec):
    p = _params("random_flip", entry, {"mode": False})
    mode = p.get("mode", "horizontal")
    if mode not in FLIP_MODES:
        raise ConfigError(f"{SECTION}.random_flip.mode: {mode!r} is not one of {list(FLIP_MODES)}")
    return (lambda f, rng: flip(f, rng, mode)), {"mode": mode}


def _build_shift(entry, spec):
    p = _params("random_shift", entry, {"max_zones": True})
    n = int(_number(f"{SECTION}.random_shift.max_zones", p["max_zones"], 0, 7, integer=True))
    return (lambda f, rng: shift(f, rng, n)), {"max_zones": n}


def _build_offset(entry, spec):
    p = _params("random_distance_offset", entry, {"max_mm": True, "inverse_square": False, "rescale": False})
    max_mm = int(_number(f"{SECTION}.random_distance_offset.max_mm", p["max_mm"], 0, 4000, integer=True))
    flags = {}
    for key, default in (("inverse_square", True), ("rescale", False)):
        flags[key] = p.get(key, default)
        if not isinstance(flags[key], bool):
            raise ConfigError(f"{SECTION}.random_distance_offset.{key}: {flags[key]!r} is not true/false")
    return (lambda f, rng: distance_offset(f, rng, spec, max_mm, **flags)), {"max_mm": max_mm, **flags}


def _build_scale(entry, spec):
    p = _params("random_signal_scale", entry, {"range": True})
    path = f"{SECTION}.random_signal_scale.range"
    bounds = p["range"]
    if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
        raise ConfigError(f"{path}: {bounds!r} is not a pair [low, high]")
    low, high = (float(_number(path, b, 0.0, 100.0)) for b in bounds)
    if low > high:
        raise ConfigError(f"{path}: low {low} is greater than high {high}")
    return (lambda f, rng: signal_scale(f, rng, low, high)), {"range": [low, high]}


def _build_dropout(entry, spec):
    p = _params("random_zone_dropout", entry, {"rate": True})
    rate = float(_number(f"{SECTION}.random_zone_dropout.rate", p["rate"], 0.0, 1.0))
    return (lambda f, rng: zone_dropout(f, rng, rate)), {"rate": rate}


AUGMENTATIONS = {
    "random_flip": _build_flip,
    "random_shift": _build_shift,
    "random_distance_offset": _build_offset,
    "random_signal_scale": _build_scale,
    "random_zone_dropout": _build_dropout,
}


class RawAugmenter:
    """The configured augmentations, applied in order to raw frames of the training split."""

    def __init__(self, steps: list[AugmentationStep], spec: PreprocessingSpec):
        self.steps = list(steps)
        self.spec = spec

    @classmethod
    def from_config(cls, section: dict | None, spec: PreprocessingSpec) -> "RawAugmenter":
        if section is None:
            return cls([], spec)
        if not isinstance(section, dict):
            raise ConfigError(f"{SECTION}: expected a mapping of augmentations, got {section!r}")
        steps = []
        for name, entry in section.items():
            if name not in AUGMENTATIONS:
                raise ConfigError(f"{SECTION}.{name}: unknown augmentation; expected one of {list(AUGMENTATIONS)}")
            apply, params = AUGMENTATIONS[name](entry, spec)
            steps.append(AugmentationStep(name, apply, params))
        return cls(steps, spec)

    def __bool__(self) -> bool:
        return bool(self.steps)

    def describe(self) -> dict:
        return {step.name: step.params for step in self.steps}

    def augment(self, frames: RawFrames, rng: np.random.Generator) -> RawFrames:
        """Augmented copy of ``frames``; frames pushed out of the distance filter are returned unchanged."""
        out = frames
        for step in self.steps:
            out = step.apply(out, rng)
        if out is frames:
            return frames
        lost = ~keep_mask(out, self.spec)
        if lost.any():
            out = RawFrames(np.where(lost[:, None], frames.distance_mm, out.distance_mm),
                            np.where(lost[:, None], frames.signal_per_spad, out.signal_per_spad),
                            np.where(lost[:, None], frames.target_status, out.target_status))
        return out


def balanced_class_weights(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """sklearn's 'balanced': ``n / (K * count_k)`` for the classes present, 0 for absent ones."""
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    present = counts > 0
    weights = np.zeros(num_classes)
    weights[present] = len(labels) / (present.sum() * counts[present])
    return weights


def _preprocess_all(frames: RawFrames, spec: PreprocessingSpec) -> np.ndarray:
    x, kept = preprocess(frames, spec)
    if not kept.all():
        raise ValueError(f"{int((~kept).sum())} training frames fail the distance filter; "
                         "pass frames that prepare() kept")
    return x


# ---- per-epoch Keras data source -------------------------------------------------------------------------

def epoch_batches(frames: RawFrames, labels: np.ndarray, spec: PreprocessingSpec, augmenter: RawAugmenter,
                  seed: int, epoch: int, sample_weights: np.ndarray | None = None):
    """One epoch's shuffled training arrays ``(x, y, w)``: augment, preprocess, permute.

    The generator is seeded from ``(seed, epoch)``, so epoch k is the same on every run
    and every machine, independent of how many epochs ran before.
    """
    rng = np.random.default_rng([int(seed), int(epoch)])
    augmented = augmenter.augment(frames, rng) if augmenter else frames
    x = _preprocess_all(augmented, spec)
    order = rng.permutation(len(labels))
    w = None if sample_weights is None else sample_weights[order]
    return x[order], labels[order], w


def _make_sequence_class():
    import keras

    class AugmentedSequence(keras.utils.PyDataset):
        """Training data re-augmented and re-shuffled every epoch, in batches.

        ``class_weight``: None, ``'balanced'`` or a sequence of K weights; when set, batches are
        ``(x, y, sample_weight)``. ``num_classes`` given -> ``y`` is one-hot float32 (needed for
        label smoothing), else int32 class indices.
        """

        def __init__(self, frames: RawFrames, labels: np.ndarray, spec: PreprocessingSpec,
                     augmenter: RawAugmenter | None, batch_size: int, seed: int, class_weight=None,
                     num_classes: int | None = None, **kwargs):
            super().__init__(**kwargs)
            if len(frames) != len(labels) or len(labels) == 0:
                raise ValueError(f"{len(frames)} frames and {len(labels)} labels: need the same, non-zero count")
            self.frames, self.labels = frames, np.asarray(labels, np.int32)
            self.spec, self.augmenter = spec, augmenter or RawAugmenter([], spec)
            self.batch_size, self.seed, self.num_classes = int(batch_size), int(seed), num_classes
            self.sample_weights = _sample_weights(self.labels, class_weight, num_classes)
            self.epoch = 0
            self._load_epoch()

        def _load_epoch(self):
            self._x, y, self._w = epoch_batches(self.frames, self.labels, self.spec, self.augmenter,
                                                self.seed, self.epoch, self.sample_weights)
            self._y = y if self.num_classes is None else np.eye(self.num_classes, dtype=np.float32)[y]

        def __len__(self) -> int:
            return math.ceil(len(self.labels) / self.batch_size)

        def __getitem__(self, index: int):
            window = slice(index * self.batch_size, (index + 1) * self.batch_size)
            if self._w is None:
                return self._x[window], self._y[window]
            return self._x[window], self._y[window], self._w[window]

        def on_epoch_end(self):
            self.epoch += 1
            self._load_epoch()

    return AugmentedSequence


def _sample_weights(labels: np.ndarray, class_weight, num_classes: int | None) -> np.ndarray | None:
    if class_weight is None:
        return None
    k = num_classes or int(labels.max()) + 1
    if class_weight == "balanced":
        per_class = balanced_class_weights(labels, k)
    else:
        per_class = np.asarray(class_weight, np.float64)
        if per_class.shape != (k,):
            raise ConfigError(f"training.class_weight: expected 'balanced' or {k} weights, got {class_weight!r}")
    return per_class[labels].astype(np.float32)


_LAZY = {}


def __getattr__(name: str):
    # the Keras class is built on first use so that the pure augmentations import without TensorFlow
    if name == "AugmentedSequence":
        if name not in _LAZY:
            _LAZY[name] = _make_sequence_class()
        return _LAZY[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
