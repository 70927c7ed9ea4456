"""Run a blocking call with a hard time limit and a progress line, so a cloud step can never hang the run.

ST's client polls with its own (overshooting) loops and sends HTTP requests without a socket timeout, so
the limit is enforced from outside: the call runs in a daemon thread that is abandoned when time is up.
"""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO


class CallFailed(Exception):
    """The call raised ``error`` after ``elapsed_s`` seconds (the elapsed time tells a client-side timeout)."""

    def __init__(self, error: BaseException, elapsed_s: float):
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error
        self.elapsed_s = elapsed_s


class DeadlineExceeded(Exception):
    """The call did not return within ``limit_s`` (it may still be running in its abandoned thread)."""

    def __init__(self, what: str, limit_s: float):
        super().__init__(f"{what}: no answer within {limit_s:g} s")
        self.what = what
        self.limit_s = limit_s


@dataclass
class Progress:
    """Prints ``[prefix] step: N s elapsed (limit L s)`` every ``every_s`` seconds while a step waits."""

    prefix: str
    every_s: float = 10.0
    stream: TextIO | None = None

    def say(self, message: str) -> None:
        print(f"[{self.prefix}] {message}", file=self.stream or sys.stderr, flush=True)

    def waiting(self, what: str, elapsed_s: float, limit_s: float) -> None:
        self.say(f"{what}: {elapsed_s:.0f} s elapsed (limit {limit_s:g} s)")


@dataclass(frozen=True)
class Outcome:
    value: object
    elapsed_s: float


def call_with_deadline(fn: Callable[[], object], what: str, limit_s: float, progress: Progress) -> Outcome:
    """``fn()``'s value and duration; :class:`CallFailed` wrapping its exception;
    :class:`DeadlineExceeded` when it runs longer than ``limit_s``."""
    box: dict = {}
    started = time.monotonic()

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    worker = threading.Thread(target=target, name=f"deadline:{what}", daemon=True)
    worker.start()
    next_report = progress.every_s
    while worker.is_alive():
        remaining = limit_s - (time.monotonic() - started)
        if remaining <= 0:
            raise DeadlineExceeded(what, limit_s)
        worker.join(min(0.25, progress.every_s, remaining))
        elapsed = time.monotonic() - started
        if elapsed >= next_report and worker.is_alive():
            progress.waiting(what, elapsed, limit_s)
            next_report = elapsed + progress.every_s
    elapsed = time.monotonic() - started
    if "error" in box:
        raise CallFailed(box["error"], elapsed) from box["error"]
    return Outcome(box.get("value"), elapsed)
