"""Every child process of ours, in one place: the long-lived ones (QEMU, the host firmware, ser2net) and the tools
run to completion (compilers, flashers, ``python -m training`` steps).

Each child runs in its own session, so a kill reaches everything it started (a tool's children hold its output
pipe). A long-lived child also has the parent-death signal set (Linux: it gets SIGTERM when the harness dies,
even by SIGKILL) and is registered for an ``atexit`` sweep, so a failing test or Ctrl-C leaves nothing behind.
A tool that fails raises the caller's :class:`~tofhil.errors.ToolError` subclass with the command and its
output's tail.
"""
from __future__ import annotations

import atexit
import ctypes
import os
import shlex
import signal
import subprocess
import sys
import weakref
from pathlib import Path

from tofhil.errors import ToolError

_LIVE: "weakref.WeakSet[subprocess.Popen]" = weakref.WeakSet()
_PR_SET_PDEATHSIG = 1
TAIL_LINES = 15


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


def run_tool(argv: list[str], what: str, error: type[ToolError] = ToolError, timeout: float | None = None,
             cwd: Path | None = None, merge_output: bool = True) -> str:
    """Run a tool to completion in its own process group and return its standard output (with its standard
    error when ``merge_output``); on a non-zero exit, a timeout (the whole group killed) or a tool that cannot
    start, raise ``error`` naming ``what``, the command and the output's tail. Ctrl-C kills the group too."""
    command = shlex.join(map(str, argv))
    try:
        process = subprocess.Popen(list(map(str, argv)), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT if merge_output else subprocess.PIPE, text=True,
                                   errors="replace", start_new_session=True)
    except OSError as exc:
        raise error(f"{what}: cannot run {command}: {exc.strerror or exc}") from None
    try:
        output, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        output, _ = _kill_group(process)
        raise error(f"{what} timed out after {timeout:g} s: {command}; output tail:\n{tail(output)}") from None
    except BaseException:
        _kill_group(process)
        raise
    if process.returncode != 0:
        raise error(f"{what} failed (exit code {process.returncode}): {command}; output tail:\n"
                    f"{tail(output if merge_output else (errors or output))}")
    return output


def tail(output: str | None, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of a tool's output (where its error is)."""
    kept = (output or "").rstrip().splitlines()[-lines:]
    return "\n".join(kept) if kept else "(no output)"


def python_step(module: str, args: list[str], what: str, error: type[ToolError] = ToolError) -> str:
    """``python -m module ARGS`` as a step of ours (TensorFlow stays in that process): its output; on failure,
    ``error`` with the step's own one-line message (:func:`step_error`)."""
    result = subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True)
    if result.returncode != 0:
        raise error(f"{what}: {step_error(result.stderr or result.stdout)}")
    return result.stdout


def step_error(output: str) -> str:
    """A ``python -m training`` step's own one-line error (``error: ...``), else its last line."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    errors = [line[len("error: "):] for line in lines if line.startswith("error: ")]
    return errors[-1] if errors else (lines[-1] if lines else "(no output)")


def _kill_group(process: subprocess.Popen) -> tuple[str, str]:
    _signal_group(process, signal.SIGKILL)
    return process.communicate()
