"""Instructions per inference and per preprocessing on the emulated board, for model_report.json.

The measurement itself is :func:`tofhil.emulated_speed.measure_firmware_speed`: the real firmware of the
emulated board (qemu-stm32f405, the board file's flags) built with its bench and run on QEMU under
``-icount shift=0``, so the figures are instruction counts, not F401 cycles (``bench/bench_inference.py`` prints
the per-op table and a cycle estimate). This module makes its inputs: synthetic but deterministic frames (a hand
of random zones in front of a far background) and TFLite's BUILTIN_REF outputs for them, which the firmware
checks. A few seconds; without the tools or a preprocessing, the figures are null with the reason.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tofhil import emulated_speed
from tofhil.c_flags import DEFAULT_OPT
from training.data.preprocess import PreprocessingSpec, RawFrames, keep_mask, preprocess, quantize_input

FRAMES = 16


def synthetic_frames(spec: PreprocessingSpec, count: int = FRAMES, seed: int = 0) -> RawFrames:
    """Frames every one of which passes the distance filter: 8-40 hand zones, the rest far away."""
    rng = np.random.default_rng(seed)
    distance = rng.integers(spec.max_distance + 500, 4000, (count, 64))
    for frame in distance:
        hand = rng.choice(64, rng.integers(8, 41), replace=False)
        frame[hand] = rng.integers(spec.min_distance, spec.max_distance + 1, len(hand))
    signal = rng.integers(1, 4000, (count, 64))
    return RawFrames(distance.astype(np.int16), signal.astype(np.uint16), np.full((count, 64), 5, np.uint8))


def measure_emulated_speed(library_dir: Path, model_bytes: bytes, spec: PreprocessingSpec | None,
                           has_preprocessing: bool, opt: str = DEFAULT_OPT) -> dict:
    """{"instructions_per_inference", "instructions_per_preprocessing", ...}, or nulls and the reason."""
    reason = emulated_speed.unavailable()
    if reason is None and not (has_preprocessing and spec is not None):
        reason = "the library has no preprocessing (the bench feeds raw frames)"
    if reason is not None:
        return {"instructions_per_inference": None, "instructions_per_preprocessing": None, "reason": reason}
    frames, expected = reference_frames(model_bytes, spec)
    speed = emulated_speed.measure_firmware_speed(Path(library_dir), frames, expected, opt=opt)
    speed["method"] = (f"the {emulated_speed.EMULATED_BOARD} firmware with its bench (tofhil_bench.c) on QEMU "
                       "netduinoplus2 (STM32F405), -icount shift=0, SysTick ticks / 0.168; synthetic frames")
    return speed


def reference_frames(model_bytes: bytes, spec: PreprocessingSpec, count: int = FRAMES) -> tuple[RawFrames, np.ndarray]:
    """Synthetic frames the distance filter keeps, and BUILTIN_REF's int8 outputs for them."""
    from training.export.reference import ReferenceRunner

    frames = synthetic_frames(spec, count)
    frames = frames.subset(np.flatnonzero(keep_mask(frames, spec)))
    runner = ReferenceRunner(model_bytes)
    expected = runner.run(quantize_input(preprocess(frames, spec)[0], *runner.input_quantization))
    return frames, expected.reshape(len(frames), -1)
