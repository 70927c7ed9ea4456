"""Run a command-line front-end's ``main()`` in this process, as a subprocess would be seen from outside.

Most bad-input tests check what a user sees (the exit code, the one line on stderr, no traceback), not the
process boundary; starting ``python -m training`` costs an import of TensorFlow (several seconds) per case.
``run_main`` gives the same :class:`subprocess.CompletedProcess` a subprocess would: ``SystemExit`` (argparse)
becomes its code, and an exception that escapes ``main()`` becomes exit 1 with its traceback on stderr, so
"no traceback" is still asserted. A few cases per front-end keep a real subprocess for signals and exit codes.
"""
from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import traceback
from pathlib import Path


class TookTooLong(Exception):
    """``main()`` ran past the time a user's bad input may take (what a subprocess timeout bounded)."""


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    if not seconds:
        yield
        return

    def expire(signum, frame):
        raise TookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _working_directory(path: Path | None):
    if path is None:
        yield
        return
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def run_main(main, args: list[str], cwd: Path | None = None, timeout: float | None = None) \
        -> subprocess.CompletedProcess:
    """``main(args)`` with stdout and stderr captured, as a finished process (``timeout``: seconds it may take,
    else it is stopped and reported as a traceback, exit 1)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with _working_directory(cwd), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), \
            _time_limit(timeout):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if exc.code is not None and not isinstance(exc.code, int):
                print(exc.code, file=stderr)
        except BaseException:  # what a real process would print before dying with exit 1
            traceback.print_exc(file=stderr)
            code = 1
    return subprocess.CompletedProcess(["main", *args], code or 0, stdout.getvalue(), stderr.getvalue())
