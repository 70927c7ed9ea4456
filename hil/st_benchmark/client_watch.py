"""What ST's ``stm32ai_dc`` client learns from the service but does not pass on in its exceptions.

Read from ST's client (46924c0 and later): a refused request is printed (``Error server reply with 429 HTTP code:
'...', '<the server's text>'``) and the call returns None, on which the client then fails with a ``TypeError``; an
HTTP error on the board list or the file service is logged on the ``STM32AI_API`` logger (``server response code is:
401``) before an ``AttributeError`` on None; a run that ends in ST's ``error`` state comes back from
``stm32ai_service.wait_for_run`` with the server's ``message``, which ``analyze`` drops. :class:`ClientWatch` keeps
those (the printed lines still reach the terminal) so a failure is named by what the server said.
"""
from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading

CLIENT_LOGGER = "STM32AI_API"  # ST's client: types.LOGGER_NAME
KEEP_CHARS = 4000


class _Tee(io.TextIOBase):
    """Writes through to the real stream and keeps the last KEEP_CHARS characters."""

    def __init__(self, stream):
        self.stream, self.kept, self.lock = stream, "", threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            self.kept = (self.kept + text)[-KEEP_CHARS:]
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


class _Records(logging.Handler):
    def __init__(self, tee: _Tee):
        super().__init__(logging.DEBUG)
        self.tee = tee

    def emit(self, record: logging.LogRecord) -> None:
        with self.tee.lock:
            self.tee.kept = (self.tee.kept + f"{record.getMessage()}\n")[-KEEP_CHARS:]


class ClientWatch:
    def __init__(self):
        self.said = ""  # what the client printed or logged during the last step
        self.last_run = None  # the last reply of a run's wait loop (analyze)

    @contextlib.contextmanager
    def step(self):
        """Around one client call: its printed lines and log records are kept in :attr:`said`."""
        tee, self.last_run = _Tee(sys.stdout), None
        handler, logger = _Records(tee), logging.getLogger(CLIENT_LOGGER)
        logger.addHandler(handler)
        try:
            with contextlib.redirect_stdout(tee):
                yield self
        finally:
            logger.removeHandler(handler)
            self.said = tee.kept

    def attach(self, ai) -> None:
        """Record what the backend's analyze wait loop returns (ST's client has it at
        ``backend.stm32ai_service.wait_for_run``; another shape is left alone)."""
        service = getattr(getattr(ai, "backend", None), "stm32ai_service", None)
        wait = getattr(service, "wait_for_run", None)
        if wait is None:
            return

        def watched(*args, **kwargs):
            self.last_run = wait(*args, **kwargs)
            return self.last_run

        service.wait_for_run = watched

    def server_message(self) -> str | None:
        """The server's message of a run that ended in ST's ``error`` state, else None."""
        run = self.last_run
        if isinstance(run, dict) and str(run.get("state", "")).lower() == "error":
            return str(run.get("message") or run.get("error") or "no message")
        return None

    def server_lines(self) -> str:
        """The client's lines that report the server's answer (``Error ...``), joined."""
        lines = [line.strip() for line in self.said.splitlines() if "error" in line.lower()]
        return " | ".join(" ".join(line.split()) for line in lines[-3:])
