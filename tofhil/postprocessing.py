"""What the user sees: ST's decision pipeline after the model, implemented once (host reference).

ST's hand-posture application for the NUCLEO-F401RE (stm32ai-modelzoo-services, ``application_code/hand_posture/
STM32F4/Application/NUCLEO-F401RE``: ``Src/app_network.c`` ``argmax()``, ``label_filter()``, ``output_selection()``;
``Inc/app_utils.h``) does not show the per-frame argmax. Its semantics, mirrored here (our code, not ST's):

- decision (``argmax(values, len, THRESHOLD_NN_OUTPUT)``): the scan starts at the no-posture class and moves to a
  class only when its score is above the threshold and above the best so far; so the decision is the top class
  among {no-posture class} and {classes above the threshold}, the lower index on a tie. A frame the distance
  filter rejects decides the no-posture class (``output_selection``).
- filter (``label_filter``, ``LABEL_FILTER_N``): a frame whose decision equals the previous frame's counts one
  more (up to N); once the count is N, the next equal decision is shown. So a new label is shown on the
  (N + 2)-th identical decision in a row (the 5th for N = 3), or the (N + 1)-th at a start that equals the
  initial state. A different decision resets the count and, without ``KEEP_LAST_VALID``, shows the no-posture
  class at once; with it (ST's default) the last shown label stays.
- state at a start (ST's zero-initialised globals): previous decision, count and shown label = label 0, i.e. the
  no-posture class; here the state resets at every session start (one recording = one power-up).

A model without a no-posture class (``no_posture_class`` not among the classes) shows -1, "no posture".
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from tofhil.errors import ToolError

NO_POSTURE = -1  # shown when the model has no no-posture class and nothing passes
ST_NO_POSTURE_CLASS = "None"  # ST's label 0


def _key(default, doc: str, range=None, positive: bool = False):
    return field(default=default, metadata={"required": False, "range": range, "choices": None, "doc": doc,
                                            "positive": positive})


@dataclass(frozen=True)
class Postprocessing:
    """The ``postprocessing:`` config section; defaults are ST's application's constants."""

    threshold: float = _key(0.9, "THRESHOLD_NN_OUTPUT: a class other than the no-posture one is decided only "
                                 "when its probability is above this", range=(0.0, 1.0))
    filter_length: int = _key(3, "LABEL_FILTER_N: identical decisions counted before a label is shown "
                                 "(shown on the N+2-th in a row); 0 shows on the 2nd", range=(0, 255))
    keep_last_valid: bool = _key(True, "KEEP_LAST_VALID: keep the last shown label when decisions change "
                                       "(false: show the no-posture class at once)")
    no_posture_class: Optional[str] = _key(ST_NO_POSTURE_CLASS,
                                           "the class shown when nothing passes (ST's label 0, None); "
                                           "when the model lacks it, -1 ('no posture') is shown")

    @classmethod
    def from_dict(cls, section: dict | None) -> Postprocessing:
        if not section:
            return cls()
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ToolError(f"postprocessing: unknown key(s) {unknown}; allowed: {sorted(known)}")
        return cls(**section)

    def fallback_index(self, class_names: list[str]) -> int:
        """The index shown when nothing passes: the no-posture class, or -1 when the model has none."""
        if self.no_posture_class is not None and self.no_posture_class in class_names:
            return class_names.index(self.no_posture_class)
        return NO_POSTURE


def decide(scores: np.ndarray, valid: np.ndarray, threshold, fallback: int) -> np.ndarray:
    """Per-frame decision (ST's thresholded argmax) over scores (n, K): float probabilities with a float
    threshold, or int8 outputs with the threshold in the int8 domain (:func:`int8_threshold`)."""
    scores = np.asarray(scores).astype(np.float64)  # ST compares the float score with a double constant
    n, classes = scores.shape
    passes = scores > threshold
    if 0 <= fallback < classes:
        passes[:, fallback] = True  # the scan starts at the no-posture class, never thresholded
    if not n:
        return np.zeros(0, np.int64)
    candidate = np.where(passes, scores, -np.inf)
    best = np.argmax(candidate, axis=1)  # first index of the maximum: the lower index wins a tie
    chosen = np.where(passes.any(axis=1), best, fallback)
    return np.where(np.asarray(valid, bool), chosen, fallback).astype(np.int64)


@dataclass
class LabelFilter:
    """ST's ``label_filter`` state machine for one session."""

    length: int
    keep_last_valid: bool
    fallback: int
    previous: int = 0
    count: int = 0
    shown: int = 0

    def __post_init__(self):
        self.reset()

    def reset(self) -> None:
        self.previous = self.shown = self.fallback
        self.count = 0

    def step(self, decision: int) -> int:
        if decision == self.previous:
            if self.count < self.length:
                self.count += 1
            else:
                self.shown = decision
        else:
            self.count = 0
            if not self.keep_last_valid:
                self.shown = self.fallback
        self.previous = decision
        return self.shown


def replay(decisions: np.ndarray, sessions: np.ndarray, spec: Postprocessing, fallback: int) -> np.ndarray:
    """Shown labels of decisions given in recording order; the filter resets where the session changes."""
    label_filter = LabelFilter(spec.filter_length, spec.keep_last_valid, fallback)
    shown = np.empty(len(decisions), np.int64)
    previous_session = None
    for i, (decision, session) in enumerate(zip(decisions.tolist(), sessions.tolist())):
        if session != previous_session:
            label_filter.reset()
            previous_session = session
        shown[i] = label_filter.step(decision)
    return shown


def int8_threshold(threshold: float, scale: float, zero_point: int) -> int:
    """The int8 value ``t`` with ``q > t`` exactly when the dequantized ``scale * (q - zero_point) > threshold``,
    proven for every int8 ``q`` (dequantization in double, as the host does). -128 - 1 = -129 means every
    value passes; 127 means none does."""
    if not (scale > 0 and math.isfinite(scale)):
        raise ToolError(f"output scale {scale}: expected a positive finite number")
    values = np.arange(-128, 128, dtype=np.int64)
    above = (values - int(zero_point)) * np.float64(scale) > float(threshold)
    t = int(values[above][0] - 1) if above.any() else 127
    if not np.array_equal(above, values > t):
        raise ToolError(f"threshold {threshold} on int8 outputs (scale {scale}, zero point {zero_point}): the int8 "
                        "comparison is not the float one for every value")
    return t
