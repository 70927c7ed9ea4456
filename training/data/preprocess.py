"""Per-frame preprocessing of VL53L8CX 8x8 zone data into the model's (8, 8, 2) input.

This module is the host reference of what the firmware computes, so every step is
written as the C does it: integer comparisons on the raw integers, then float32
arithmetic in the same order (subtract, then divide; no fused multiply-add).
The generated C in ``firmware_templates/`` must stay operation-for-operation
identical; ``tests/export`` checks the int8 tensors byte for byte.

Steps (ST's order, facts.md section 1):
  1. frames with NaN are dropped (done by the loader, raw int frames have none);
  2. a zone is valid only if ``target_status`` is 5 or 9;
  3. ``min`` = smallest distance among valid zones (``NO_TARGET_MM`` if none);
  4. the frame is kept only if ``Min_distance <= min <= Max_distance``;
  5. zones farther than ``min + Background_distance`` become invalid;
  6. invalid zones get distance ``NO_TARGET_MM`` and signal 0;
  7. normalization (``st`` or ``hand_relative``, below);
  8. zone j goes to row j // 8, column j % 8.

Normalization modes:
  ``st``            ch0 = (d - 295) / 196, ch1 = (s - 281) / 452 (ST's constants).
  ``hand_relative`` ch0 = (d - min) / Background_distance for valid zones and
                    ``HAND_RELATIVE_FAR`` for invalid ones; ch1 = s / max signal of
                    the valid zones, 0 for invalid ones. It removes what varies
                    between users (how far the hand is held, how strongly it
                    reflects) and keeps the shape of the hand.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VALID_TARGET_STATUS = (5, 9)
NO_TARGET_MM = 4000
ST_DISTANCE_OFFSET, ST_DISTANCE_SCALE = 295.0, 196.0
ST_SIGNAL_OFFSET, ST_SIGNAL_SCALE = 281.0, 452.0
HAND_RELATIVE_FAR = 2.0
NORMALIZATION_MODES = ("st", "hand_relative")
ZONES = 64


@dataclass(frozen=True)
class PreprocessingSpec:
    """The ``preprocessing`` section, as the host and the firmware both apply it."""

    max_distance: int = 400
    min_distance: int = 100
    background_distance: int = 120
    normalization: str = "st"
    center_hand: bool = False


@dataclass(frozen=True)
class RawFrames:
    """Raw sensor frames as integers, exactly what a board receives (320 bytes a frame)."""

    distance_mm: np.ndarray  # (N, 64) int16
    signal_per_spad: np.ndarray  # (N, 64) uint16
    target_status: np.ndarray  # (N, 64) uint8

    def __len__(self) -> int:
        return int(self.distance_mm.shape[0])

    def subset(self, index: np.ndarray) -> "RawFrames":
        return RawFrames(self.distance_mm[index], self.signal_per_spad[index], self.target_status[index])

    @staticmethod
    def concatenate(parts: list["RawFrames"]) -> "RawFrames":
        if not parts:
            return RawFrames(np.zeros((0, ZONES), np.int16), np.zeros((0, ZONES), np.uint16),
                             np.zeros((0, ZONES), np.uint8))
        return RawFrames(np.concatenate([p.distance_mm for p in parts]),
                         np.concatenate([p.signal_per_spad for p in parts]),
                         np.concatenate([p.target_status for p in parts]))


def valid_zone_mask(frames: RawFrames) -> np.ndarray:
    return np.isin(frames.target_status, VALID_TARGET_STATUS)


def closest_valid_distance(frames: RawFrames, valid: np.ndarray) -> np.ndarray:
    """Smallest valid distance per frame (int32), ``NO_TARGET_MM`` when no zone is valid."""
    distance = np.where(valid, frames.distance_mm.astype(np.int32), np.iinfo(np.int32).max)
    closest = distance.min(axis=1)
    return np.where(valid.any(axis=1), closest, NO_TARGET_MM).astype(np.int32)


def keep_mask(frames: RawFrames, spec: PreprocessingSpec) -> np.ndarray:
    """Frames that pass the distance filter (step 4)."""
    closest = closest_valid_distance(frames, valid_zone_mask(frames))
    return (closest >= spec.min_distance) & (closest <= spec.max_distance)


def preprocess(frames: RawFrames, spec: PreprocessingSpec) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(tensors, kept)``: float32 (K, 8, 8, 2) inputs of the K kept frames and the (N,) mask."""
    if spec.normalization not in NORMALIZATION_MODES:
        raise ValueError(f"unknown normalization {spec.normalization!r}; expected one of {NORMALIZATION_MODES}")
    valid = valid_zone_mask(frames)
    closest = closest_valid_distance(frames, valid)
    kept = (closest >= spec.min_distance) & (closest <= spec.max_distance)
    valid, closest = valid[kept], closest[kept]
    distance = frames.distance_mm[kept].astype(np.int32)
    signal = frames.signal_per_spad[kept].astype(np.int32)
    valid &= distance <= closest[:, None] + spec.background_distance
    if spec.center_hand:
        distance, signal, valid = center_on_hand(distance, signal, valid)
    if spec.normalization == "st":
        channels = _normalize_st(distance, signal, valid)
    else:
        channels = _normalize_hand_relative(distance, signal, valid, closest, spec)
    tensors = np.stack(channels, axis=-1).reshape(-1, 8, 8, 2)
    return tensors.astype(np.float32, copy=False), kept


def center_on_hand(distance, signal, valid):
    """Translate each frame by whole zones so that the hand's centroid lands in the middle.

    ``shift = floor(4 - mean index of the valid zones)`` per axis, in integers as the C does
    (``floor((4 n - sum) / n)``); zones that enter from the edge report no target. A frame without a valid
    zone (possible when Max_distance + background reaches the no-target distance) is not moved, as in the C.
    """
    rows, cols = np.divmod(np.arange(ZONES), 8)
    count = valid.sum(axis=1)
    divisor = np.maximum(count, 1)
    dy = np.where(count > 0, np.floor_divide(4 * count - (valid * rows).sum(axis=1), divisor), 0)
    dx = np.where(count > 0, np.floor_divide(4 * count - (valid * cols).sum(axis=1), divisor), 0)
    src_r = rows[None, :] - dy[:, None]
    src_c = cols[None, :] - dx[:, None]
    inside = (src_r >= 0) & (src_r < 8) & (src_c >= 0) & (src_c < 8)
    source = np.where(inside, src_r * 8 + src_c, 0)
    take = lambda a: np.take_along_axis(a, source, axis=1)
    return take(distance), take(signal), take(valid) & inside


def _normalize_st(distance, signal, valid):
    d = np.where(valid, distance, NO_TARGET_MM).astype(np.float32)
    s = np.where(valid, signal, 0).astype(np.float32)
    ch0 = (d - np.float32(ST_DISTANCE_OFFSET)) / np.float32(ST_DISTANCE_SCALE)
    ch1 = (s - np.float32(ST_SIGNAL_OFFSET)) / np.float32(ST_SIGNAL_SCALE)
    return ch0, ch1


def _normalize_hand_relative(distance, signal, valid, closest, spec):
    depth = (distance - closest[:, None]).astype(np.float32) / np.float32(spec.background_distance)
    ch0 = np.where(valid, depth, np.float32(HAND_RELATIVE_FAR)).astype(np.float32)
    # the closest zone is valid in every kept frame, so the peak signal is >= 1
    peak = np.where(valid, signal, 0).max(axis=1).astype(np.float32)
    ch1 = np.where(valid, signal.astype(np.float32) / np.maximum(peak, np.float32(1))[:, None], np.float32(0))
    return ch0, ch1.astype(np.float32)


def quantize_input(tensors: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """float32 -> int8 as the firmware does: round half away from zero of ``x / scale``, add zero point, clamp."""
    scaled = tensors.astype(np.float32) / np.float32(scale)
    rounded = np.trunc(scaled + np.copysign(np.float32(0.5), scaled).astype(np.float32))
    return np.clip(rounded.astype(np.int32) + int(zero_point), -128, 127).astype(np.int8)
