"""One board of a sharded validation, in its own thread: take whole sessions from the shared queue, stream them,
append each session's results naming the board; a board that is lost (its emulator killed, its link dropped, its
place's exporter restarted) gives its unfinished session back and is brought up again, up to ``max_restarts``
times."""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field

import serial

from hil.errors import DeviceTimeoutError, HilError, LinkError
from hil.farm.frame_queue import FrameQueue
from hil.farm.shards import Shard
from hil.runner import session_records
from hil.session_stream import stream_session

RESTART_BACKOFF_S = 1.0  # the first restart's wait; each further one waits twice as long

# what a board that went away raises; anything else (a stale firmware, a stopped cycle counter) is not cured by
# bringing the board up again
LOST_BOARD = (LinkError, DeviceTimeoutError, serial.SerialException, OSError)


@dataclass
class ShardTally:
    """What one board did, for ``run_meta.json`` and the per-board table."""

    frames: int = 0
    seconds: float = 0.0
    bytes_sent: int = 0
    bytes_received: int = 0
    restarts: int = 0
    given_back: int = 0  # frames it took and lost, answered by a board afterwards
    lost: list = field(default_factory=list)  # one line per loss: the cause

    def to_dict(self) -> dict:
        return {"frames": self.frames, "seconds": round(self.seconds, 3), "bytes_sent": self.bytes_sent,
                "bytes_received": self.bytes_received, "restarts": self.restarts, "given_back": self.given_back,
                "lost": list(self.lost)}


class ResultsSink:
    """The one ``results.jsonl`` every board appends to, the queue's bookkeeping and the progress bar."""

    def __init__(self, log, queue: FrameQueue, bar, logged=frozenset()):
        self.log, self.queue, self.bar = log, queue, bar
        self.logged = frozenset(logged)  # frames of a session an interrupted run logged in part: not repeated
        self._lock = threading.Lock()

    def append_session(self, unit, records: list[dict]) -> None:
        """A finished session's records, together (a session is never half in the log)."""
        with self._lock:
            for record in records:
                if record["index"] not in self.logged:
                    self.log.append(record)
            self.bar.update(len(unit))
        self.queue.done(unit)


class ShardWorker(threading.Thread):
    def __init__(self, shard: Shard, make_session, queue: FrameQueue, sink: ResultsSink, frames, references,
                 mode: str, stop: threading.Event, max_restarts: int = 3):
        super().__init__(name=f"board {shard.name}", daemon=True)
        self.shard, self.make_session, self.queue, self.sink = shard, make_session, queue, sink
        self.frames, self.references, self.mode, self.stop = frames, references, mode, stop
        self.max_restarts = max_restarts
        self.session = None
        self.tally = ShardTally()
        self.failure: str | None = None  # why this board stopped before the queue was empty
        self.came_up = False  # a board that never came up is listed as such, not restarted
        self.waited_s = 0.0  # the restarts' back-off, in all

    def bring_up(self) -> None:
        """Open a fresh session (the first one, and after a loss): sticky failures stay with the old one."""
        self.session = self.make_session(self.shard)  # kept before open(): a half-started board is closed too
        self.session.open()
        self.came_up = True

    def run(self) -> None:
        while self.queue.wait_for_work(self.stop):
            taken: dict[int, list[int]] = {}  # the sessions this board holds, by id
            try:
                if self.session is None:
                    self.bring_up()
                self._stream(taken)
            except LOST_BOARD as exc:
                gave_back = sum(len(unit) for unit in taken.values())  # frames of its unfinished sessions
                self._give_back(taken)
                if not self._restart_allowed(exc, gave_back):
                    return
            except Exception as exc:  # noqa: BLE001 - one board's defect must not take the others down
                self._give_back(taken)
                self.failure = _cause(exc)
                self._drop_session()
                return

    def _stream(self, taken: dict) -> None:
        """Take sessions until none is left; ``taken`` holds the one being streamed (given back if the board is
        lost, to be streamed again from its first frame)."""
        session, shard = self.session, self.shard
        client = session.client
        sent, received, started = client.counters.bytes_sent, client.counters.bytes_received, time.perf_counter()
        try:
            while not self.stop.is_set():
                unit = self.queue.take()
                if unit is None:
                    return
                taken[id(unit)] = unit
                answered = stream_session(session, unit, self.frames, self.references, self.mode, set())
                records = session_records(answered, self.frames, client.hello, shard.name)
                self.sink.append_session(unit, records)
                del taken[id(unit)]
                self.tally.frames += len(records)
        finally:
            self.tally.seconds += time.perf_counter() - started
            self.tally.bytes_sent += client.counters.bytes_sent - sent
            self.tally.bytes_received += client.counters.bytes_received - received

    def _give_back(self, taken: dict) -> None:
        if taken:
            self.tally.given_back += sum(len(unit) for unit in taken.values())  # frames, streamed again
            self.queue.give_back(list(taken.values()))
            taken.clear()

    def _restart_allowed(self, exc: Exception, gave_back: int) -> bool:
        """Bring the board up again after a wait that doubles each time (1, 2, 4 s): a port that fails at once
        (a place whose emulator died: ser2net still listens, each open is a broken pipe) must not spend every
        restart within a second; a board back within a few seconds is used again."""
        cause = _cause(exc)
        self.tally.lost.append(cause)
        self._drop_session()
        if self.tally.restarts >= self.max_restarts:
            self.failure = (f"{cause} (given up after {self.tally.restarts} restarts over "
                            f"{self.waited_s:.0f} s of waiting)")
            return False
        self.tally.restarts += 1
        delay = RESTART_BACKOFF_S * 2 ** (self.tally.restarts - 1)
        frames = f"its {plural(gave_back, 'unanswered frame')} went back to the queue; " if gave_back else ""
        print(f"board {self.shard.name}: lost ({cause}); {frames}bringing it up again in {delay:g} s "
              f"({self.tally.restarts} of {self.max_restarts})", file=sys.stderr, flush=True)
        self.stop.wait(delay)  # Ctrl-C does not wait for it
        self.waited_s += delay
        return True

    def _drop_session(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _cause(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if isinstance(exc, HilError) else f"{type(exc).__name__}: {text}"
