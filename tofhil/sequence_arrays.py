"""What the report needs to replay the decision pipeline in recording order, stored beside the host references
(``references.npz``): each frame's recording time and the run config's ``postprocessing`` section.

Each frame's session is stored too: tensor mode never streams a frame the host's filter rejected, yet the
sequence holds it. All are optional on read: a references file from before them replays with ST's defaults and no times (time
to the right label then in frames only). Plain arrays: the section is a JSON string, never a pickle.
"""
from __future__ import annotations

import dataclasses
import json

import numpy as np

from tofhil.errors import FolderError
from tofhil.postprocessing import Postprocessing

TIMES_KEY, SESSIONS_KEY, POSTPROCESSING_KEY = "times_s", "sessions", "postprocessing_json"


def sequence_arrays(frames, postprocessing) -> dict:
    """``frames``: any object with ``times_s`` (N,) seconds; ``postprocessing``: the config section."""
    section = dataclasses.asdict(postprocessing) if dataclasses.is_dataclass(postprocessing) else dict(postprocessing)
    return {TIMES_KEY: np.asarray(frames.times_s, np.float64), SESSIONS_KEY: np.asarray(frames.sessions).astype(str),
            POSTPROCESSING_KEY: np.array(json.dumps(section, sort_keys=True))}


def read_times(arrays: dict, count: int) -> np.ndarray:
    times = arrays.get(TIMES_KEY)
    if times is None:
        return np.full(count, np.nan)
    times = np.asarray(times)
    if times.shape != (count,) or times.dtype.kind != "f":
        raise FolderError(f"references: '{TIMES_KEY}' has shape {times.shape} and dtype {times.dtype}; "
                          f"expected ({count},) floats")
    return times.astype(np.float64)


def read_sessions(arrays: dict, count: int) -> np.ndarray | None:
    sessions = arrays.get(SESSIONS_KEY)
    if sessions is None:
        return None
    sessions = np.asarray(sessions)
    if sessions.shape != (count,) or sessions.dtype.kind != "U":
        raise FolderError(f"references: '{SESSIONS_KEY}' has shape {sessions.shape} and dtype {sessions.dtype}; "
                          f"expected ({count},) strings")
    return sessions


def read_postprocessing(arrays: dict) -> Postprocessing:
    stored = arrays.get(POSTPROCESSING_KEY)
    if stored is None:
        return Postprocessing()
    try:
        section = json.loads(str(np.asarray(stored).reshape(())))
    except (ValueError, TypeError) as exc:
        raise FolderError(f"references: '{POSTPROCESSING_KEY}' is not a JSON object ({exc})") from exc
    if not isinstance(section, dict):
        raise FolderError(f"references: '{POSTPROCESSING_KEY}' is not a JSON object")
    return Postprocessing.from_dict(section)
