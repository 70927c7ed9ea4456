"""Child processes that never outlive the harness (QEMU, the host firmware).

Each child runs in its own session (so a kill reaches everything it started) with the parent-death signal set
(Linux: it gets SIGTERM when the harness dies, even by SIGKILL), and is registered for an ``atexit`` sweep
so a failing test or Ctrl-C leaves nothing behind.
"""
from __future__ import annotations

import atexit
import ctypes
import os
import signal
import subprocess
import sys
import weakref

_LIVE: "weakref.WeakSet[subprocess.Popen]" = weakref.WeakSet()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass


def spawn(command: list[str], **kwargs) -> subprocess.Popen:
    """Start ``command`` as a child that dies with the harness."""
    process = subprocess.Popen(command, start_new_session=True, preexec_fn=_die_with_parent, **kwargs)
    _LIVE.add(process)
    return process


def terminate(process: subprocess.Popen | None, grace_seconds: float = 3.0) -> None:
    """SIGTERM the child's process group, SIGKILL after ``grace_seconds``; reap it. Idempotent."""
    if process is None:
        return
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(grace_seconds)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(grace_seconds)
    _LIVE.discard(process)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@atexit.register
def _sweep() -> None:
    for process in list(_LIVE):
        terminate(process, grace_seconds=1.0)
