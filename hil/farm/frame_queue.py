"""The frames of a sharded validation, in one queue every board takes from.

A board takes a frame when it can send one; a frame is done when its result is in ``results.jsonl``; a board
that is lost gives its unanswered frames back, and another board (or the same one, restarted) takes them.
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

    def take(self) -> int | None:
        """The next frame to send, or None when none is pending right now (never waits)."""
        with self._changed:
            if self.closed or not self._pending:
                return None
            return self._pending.popleft()

    def done(self, index: int) -> None:
        with self._changed:
            self._outstanding -= 1
            self._changed.notify_all()

    def give_back(self, indices) -> None:
        """Frames a lost board took but never answered: first in line again, in their order."""
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
