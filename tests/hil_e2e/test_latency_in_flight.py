"""The latency figure is the model's alone, with one request in flight or two (issue 25, item 3): the same input
tensors streamed with window 1 and window 2 give the same inference ticks per frame on the emulated board, and
the same distribution on the host board; STATS says how much interrupt time the firmware took out."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from hil.protocol.messages import InferTensor
from hil.runner import BoardOptions, BoardSession
from tests.conftest import require
from tofhil.folders import RunFolder

FRAMES = 20
UNTIMED_TICKS_PER_INTERRUPT = 5


def _ticks_by_window(run_dir, board: str, log_dir):
    rng = np.random.default_rng(0)
    with BoardSession(BoardOptions(board, timeout_s=5.0), RunFolder.open(run_dir), log_dir) as session:
        size = session.client.hello.input_size
        requests = [(i, InferTensor(tuple(int(v) for v in rng.integers(-128, 128, size)))) for i in range(FRAMES)]
        passes = [(window, np.array([r.infer_ticks for _, r, _ in session.client.stream(requests, window=window)]))
                  for window in (1, 2, 1, 2, 1, 2)]
        # per frame, the least of the warm passes (the first is the cold one): an interrupt whose untimed part
        # (below) falls into one pass's inference does not fall into the same frame's in every pass
        ticks = {window: np.min([t for w, t in passes[1:] if w == window], axis=0) for window in (1, 2)}
        return ticks, session.client.stats()


@pytest.mark.parametrize("board", ["qemu-stm32f405", "host"])
def test_inference_ticks_do_not_depend_on_requests_in_flight(board, tiny_runs, tmp_path):
    if board.startswith("qemu"):
        require(shutil.which("qemu-system-arm") is not None, "qemu-system-arm is not installed")
    ticks, stats = _ticks_by_window(tiny_runs[0], board, tmp_path)
    one, two = ticks[1], ticks[2]
    if board.startswith("qemu"):
        # an instruction count: deterministic to +-1 SysTick tick per reading, so per frame within 2, plus the
        # part of one receive interrupt the firmware cannot time: exception entry, the handler's prologue before
        # its first timer reading and what follows its last (about 25 instructions, 4-5 ticks at the emulated
        # board's 168 MHz SysTick; CI once saw 4 and 5 on one pass, fixed by taking the least over passes)
        assert np.max(np.abs(one - two)) <= 2 + UNTIMED_TICKS_PER_INTERRUPT, (one, two)
        assert abs(np.median(one) - np.median(two)) <= 1, (one, two)
    else:  # wall time on a shared machine: the medians agree, not every frame
        assert abs(np.median(two) / np.median(one) - 1) < 0.5, (one, two)
        assert (stats.isr_ticks_removed, stats.isr_count_removed) == (0, 0)  # no interrupts on the host
    assert stats.isr_ticks_removed >= 0 and stats.isr_count_removed >= 0
