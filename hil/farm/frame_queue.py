"""The work of a sharded validation, in one queue every board takes from: whole sessions (a list of frame
indices in recording order), so a session's frames stay on one board and its decision pipeline sees them in order.

A board takes a session when it can stream one; a session is done when its results are in ``results.jsonl``; a
board that is lost gives its unfinished sessions back, and another board (or the same one, restarted) streams
them again from their first frame.
"""
from __future__ import annotations

import threading
from collections import deque


class FrameQueue:
    def __init__(self, indices):
        self._pending = deque(indices)
        self._outstanding = len(self._pending)  # not yet answered: pending or taken
        self._changed = threading.Condition()
        self.closed = False  # set on Ctrl-C: no frame is handed out any more

    def take(self):
        """The next session to stream, or None when none is pending right now (never waits)."""
        with self._changed:
            if self.closed or not self._pending:
                return None
            return self._pending.popleft()

    def done(self, unit) -> None:
        with self._changed:
            self._outstanding -= 1
            self._changed.notify_all()

    def give_back(self, indices) -> None:
        """Sessions a lost board took but never finished: first in line again, in their order."""
        with self._changed:
            self._pending.extendleft(reversed(list(indices)))
            self._changed.notify_all()

    def wait_for_work(self, stop: threading.Event, poll_s: float = 0.2) -> bool:
        """True when a frame is pending; False when every frame is answered or the run stops."""
        with self._changed:
            while not stop.is_set() and not self.closed:
                if self._pending:
                    return True
                if self._outstanding == 0:
                    return False
                self._changed.wait(poll_s)
            return False

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    @property
    def outstanding(self) -> int:
        with self._changed:
            return self._outstanding
