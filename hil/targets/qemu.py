"""The emulated board: QEMU ``netduinoplus2`` (STM32F405) running the firmware built for that chip.

The firmware's USART2 is QEMU's second ``-serial``, served on a loopback TCP port with ``nodelay=on``
(without it round trips fall to ~20/s). ``-icount shift=0`` makes every guest instruction take 1 ns of
virtual time, so the SysTick count the firmware reports is an instruction count, deterministic run to run.
Reset goes through QMP's ``system_reset``.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from hil.errors import HilError, LinkError
from tofhil.processes import spawn, terminate
from hil.targets.base import Target

START_TIMEOUT_S = 10.0


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def find_qemu() -> str:
    path = shutil.which("qemu-system-arm")
    if path is None:
        raise HilError("qemu-system-arm not found; install it: apt-get install --no-install-recommends "
                       "qemu-system-arm (./run.sh does it)")
    return path


class QemuTarget(Target):
    """``start`` launches QEMU on the image's ELF and returns ``socket://127.0.0.1:PORT``."""

    attachable = True

    def __init__(self, spec, log_dir: Path | None = None):
        super().__init__(spec)
        self.log_dir = Path(log_dir) if log_dir else None
        self.process = None
        self.link_url: str | None = None
        self._qmp_port: int | None = None
        self._elf: Path | None = None

    def command(self, elf: Path, serial_port: int, qmp_port: int) -> list[str]:
        qemu = self.spec.qemu
        serials = ["-serial", "null"] * qemu.serial_index
        return [find_qemu(), "-M", qemu.machine, "-display", "none", "-monitor", "none",
                "-icount", f"shift={qemu.icount_shift}", "-kernel", str(elf), *serials,
                "-serial", f"tcp:127.0.0.1:{serial_port},server=on,wait=off,nodelay=on",
                "-qmp", f"tcp:127.0.0.1:{qmp_port},server=on,wait=off"]

    def start(self, image) -> str:
        self.stop()
        self._elf = Path(image.elf)
        serial_port, self._qmp_port = free_tcp_port(), free_tcp_port()
        log = self._open_log()
        self.process = spawn(self.command(self._elf, serial_port, self._qmp_port), stdin=subprocess.DEVNULL,
                             stdout=log, stderr=subprocess.STDOUT)
        if log >= 0:
            os.close(log)
        _wait_for_port(serial_port, self.process, self._log_path())
        self.link_url = f"socket://127.0.0.1:{serial_port}"
        return self.link_url

    def reset(self) -> None:
        """Reset the emulated core (QMP system_reset); the TCP link stays up."""
        if self.process is None or self.process.poll() is not None:
            raise HilError("QEMU is not running: cannot reset it")
        with socket.create_connection(("127.0.0.1", self._qmp_port), timeout=5) as qmp:
            reader = qmp.makefile("rb")
            reader.readline()  # greeting
            for command in ("qmp_capabilities", "system_reset"):
                qmp.sendall(json.dumps({"execute": command}).encode() + b"\n")
                _qmp_reply(reader, command)

    def stop(self) -> None:
        terminate(self.process)
        self.process = None

    def _log_path(self) -> Path | None:
        return self.log_dir / "qemu.log" if self.log_dir else None

    def _open_log(self):
        path = self._log_path()
        if path is None:
            return subprocess.DEVNULL
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as log:  # the child keeps its own copy of the descriptor
            return os.dup(log.fileno())


def _qmp_reply(reader, command: str) -> None:
    while True:
        line = reader.readline()
        if not line:
            raise HilError(f"QEMU's QMP closed while answering {command}")
        reply = json.loads(line)
        if "error" in reply:
            raise HilError(f"QEMU refused {command}: {reply['error']}")
        if "return" in reply:
            return


def _wait_for_port(port: int, process, log_path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LinkError(f"QEMU exited with code {process.returncode} at start" +
                            (f"; its log: {log_path}" if log_path else ""))
        try:
            # QEMU serves one client: probe with a connection we close at once (wait=off tolerates it)
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise LinkError(f"QEMU did not open its serial port 127.0.0.1:{port} within {START_TIMEOUT_S:.0f} s")

