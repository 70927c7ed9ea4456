"""The frames two HIL output folders both hold, lined up.

A frame is named by its recording (``file``, ``frame``), not by its index in the run: two runs with another
``--limit`` or another test split still pair the frames they share. A shared frame with two labels means the
folders did not validate the same data, which is an error, not a difference.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hil.errors import HilError
from hil.report.metrics import AlignedFrames, align
from hil.report.records import ValidationData


@dataclass(frozen=True)
class PairedFrames:
    """Rows ``rows_a[i]`` of ``a`` and ``rows_b[i]`` of ``b`` are the same recorded frame."""

    a: AlignedFrames
    b: AlignedFrames
    rows_a: np.ndarray
    rows_b: np.ndarray

    @property
    def count(self) -> int:
        return len(self.rows_a)

    def status_equal(self) -> np.ndarray:
        return self.a.device_ok[self.rows_a] == self.b.device_ok[self.rows_b]

    def outputs_equal(self) -> np.ndarray:
        """Same status, and where both classified the frame, the same int8 output vector."""
        same_out = np.all(self.a.device_out[self.rows_a] == self.b.device_out[self.rows_b], axis=1)
        both_ok = self.a.device_ok[self.rows_a] & self.b.device_ok[self.rows_b]
        return self.status_equal() & (same_out | ~both_ok)

    def both_ok(self) -> np.ndarray:
        return self.a.device_ok[self.rows_a] & self.b.device_ok[self.rows_b]

    def labels(self) -> np.ndarray:
        return self.a.labels[self.rows_a]


def _key(result) -> tuple[str, int]:
    return result.file, result.frame


def pair_frames(data_a: ValidationData, data_b: ValidationData) -> PairedFrames:
    if data_a.meta.class_names != data_b.meta.class_names:
        raise HilError(f"{data_a.out_dir} and {data_b.out_dir} validate different models' classes "
                       f"({data_a.meta.class_names} vs {data_b.meta.class_names}); nothing to compare frame by frame")
    a, b = align(data_a), align(data_b)
    where_b = {_key(r): i for i, r in enumerate(b.results)}
    pairs = [(i, where_b[_key(r)]) for i, r in enumerate(a.results) if _key(r) in where_b]
    if not pairs:
        raise HilError(f"{data_a.out_dir} and {data_b.out_dir} share no frame (compared by file and frame "
                       "index); run both on the same test set")
    rows_a, rows_b = (np.array(side, np.int64) for side in zip(*pairs))
    clash = np.flatnonzero(a.labels[rows_a] != b.labels[rows_b])
    if clash.size:
        first = a.results[rows_a[clash[0]]]
        raise HilError(f"{data_a.out_dir} and {data_b.out_dir} give frame {first.frame} of {first.file} two "
                       f"labels ({clash.size} such frames): not the same test set")
    return PairedFrames(a, b, rows_a, rows_b)
