"""The host board: the same firmware sources (protocol loop, preprocessing, model) compiled for Linux.

The executable opens a pseudo-terminal, prints ``TOFHIL_PTY <path>`` and serves the protocol on it, so the
harness talks to it exactly as to a serial port. Reset restarts the process (a new pty: ``link_url`` changes).
"""
from __future__ import annotations

import select
import subprocess
import time
from pathlib import Path

from hil.errors import LinkError
from tofhil.processes import spawn, terminate
from hil.targets.base import Target

START_TIMEOUT_S = 10.0
PTY_MARKER = "TOFHIL_PTY "


class HostTarget(Target):
    attachable = True

    def __init__(self, spec, log_dir: Path | None = None):
        super().__init__(spec)
        self.log_dir = Path(log_dir) if log_dir else None
        self.process = None
        self.link_url: str | None = None
        self._executable: Path | None = None

    def start(self, image) -> str:
        self.stop()
        self._executable = Path(image.executable)
        if not self._executable.is_file():
            raise LinkError(f"{self._executable}: the host firmware was not built")
        stderr = subprocess.DEVNULL
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            stderr = (self.log_dir / "host_firmware.log").open("ab")
        self.process = spawn([str(self._executable)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=stderr)
        if stderr is not subprocess.DEVNULL:
            stderr.close()
        self.link_url = self._read_pty_path()
        return self.link_url

    def _read_pty_path(self) -> str:
        deadline, line = time.monotonic() + START_TIMEOUT_S, b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.1)
            if ready:
                line = self.process.stdout.readline()
                if line.startswith(PTY_MARKER.encode()):
                    return line[len(PTY_MARKER):].decode().strip()
            if self.process.poll() is not None:
                break
        raise LinkError(f"{self._executable}: no '{PTY_MARKER.strip()} <path>' line within "
                        f"{START_TIMEOUT_S:.0f} s (exit code {self.process.poll()}, last line {line!r})")

    def reset(self) -> None:
        """Restart the firmware process: a fresh start, as a board reset is; the pty path changes."""
        terminate(self.process)
        self.process = spawn([str(self._executable)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        self.link_url = self._read_pty_path()

    def stop(self) -> None:
        terminate(self.process)
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()
        self.process = None
