"""The test set streamed as recordings, not shuffled frames: each session's frames in recording order after a
``SESSION_START``, so the device's decision pipeline (threshold and label filter, stepped on the board) shows
what ST's application would show. A session is the unit of work: it is done when its last frame is answered,
its results are then appended together, and it is streamed again from its first frame when the board restarted
meanwhile (a reset, or a result outside the session: the board lost its state), when a board of a farm is lost,
or when ``--resume`` finds it unfinished.
"""
from __future__ import annotations

import numpy as np

from hil.errors import HilError
from hil.frame_stream import frame_request
from hil.protocol.messages import SessionStart
from hil.protocol.replies import Session
from tofhil.postprocessing import int8_threshold
from tofhil.sequence_arrays import read_postprocessing
from tofhil.shown_metrics import recording_order

MAX_SESSION_TRIES = 5  # a board that restarts this often inside one session is not going to finish it
_START = "session-start"


def session_units(frames, indices, times_s=None) -> list[list[int]]:
    """The frames to stream, grouped by session, each in recording order (``times_s``: the references' recording
    times, else file then frame order); sessions in order of first appearance."""
    indices = np.asarray(list(indices), np.int64)
    if not len(indices):
        return []
    sessions = np.asarray(frames.sessions, dtype=object)[indices].astype(str)
    times = np.full(len(frames), np.nan) if times_s is None else np.asarray(times_s, np.float64)
    times = times[indices]
    order = indices[recording_order(sessions, times)]
    units, current, name = [], [], None
    for index in order.tolist():
        session = str(frames.sessions[index])
        if current and session != name:
            units.append(current)
            current = []
        current.append(index)
        name = session
    if current:
        units.append(current)
    return units


def unfinished_units(units: list[list[int]], done: set[int]) -> list[list[int]]:
    """The sessions ``--resume`` streams: every one not wholly in the results log, from its first frame."""
    return [unit for unit in units if not all(index in done for index in unit)]


def check_pipeline(reply: Session, hello, references: dict, class_names: list[str]) -> None:
    """The firmware's decision pipeline must be the run config's, or its labels cannot be compared."""
    if not reply.has_pipeline:
        return
    spec = read_postprocessing(references)
    expected = Session(True, int8_threshold(spec.threshold, hello.output_scale, hello.output_zero_point),
                       spec.filter_length, spec.keep_last_valid, spec.fallback_index(list(class_names)),
                       hello.output_size)
    if reply != expected:
        raise HilError(f"board {hello.board}: the firmware's decision pipeline (int8 threshold "
                       f"{reply.threshold_int8}, filter {reply.filter_length}, keep_last_valid {reply.keep_last_valid}, "
                       f"no-posture class {reply.fallback}) is not the run config's postprocessing (int8 threshold "
                       f"{expected.threshold_int8}, filter {expected.filter_length}, keep_last_valid "
                       f"{expected.keep_last_valid}, no-posture class {expected.fallback}): export and flash again")


def stream_session(board, unit: list[int], frames, references: dict, mode: str, resets: set) -> list[tuple]:
    """``(index, result, attempts, step)`` of every frame of one session, in the order the device stepped them
    (``step``: the frame's place in the session);
    streamed again from its first frame when the board restarted meanwhile. ``resets``: frame indices after
    which a fault-injecting link asks for a board reset (each used once)."""
    client = board.client
    step_of = {index: step for step, index in enumerate(unit)}
    for _ in range(MAX_SESSION_TRIES):
        restarts_before = client.counters.resets
        requests = [(_START, SessionStart())] + [(i, frame_request(frames, references, mode, i)) for i in unit]
        answered, restarted = [], False
        # replies may come out of request order (an earlier one lost and resent), the device steps in seq order
        for key, reply, attempts in client.stream(requests):
            if key == _START:
                check_pipeline(reply, client.hello, references, frames.class_names)
                continue
            answered.append((key, reply, attempts, step_of[key]))
            if key in resets:
                resets.discard(key)
                board.restart()
            if client.counters.resets != restarts_before or not reply.in_session:
                restarted = True  # the device's filter state is gone: the session starts over
                break
        if not restarted:
            return sorted(answered, key=lambda item: item[3])
        board.serial_log.note(f"session {frames.sessions[unit[0]]}: the board restarted; streaming it again from "
                              "its first frame")
    raise HilError(f"board {board.options.board}: restarted {MAX_SESSION_TRIES} times inside session "
                   f"{frames.sessions[unit[0]]} ({len(unit)} frames); see {board.serial_log.path}")
