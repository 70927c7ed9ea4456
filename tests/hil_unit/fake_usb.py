"""Stand-ins for what sits behind the USB boundary: serial port listings, flasher executables, an ST-LINK drive.

The port entries are pyserial's own ListPortInfo; the tools are executable scripts that record their
arguments and exit 0, fail with output, or hang with a child process; the drive is a folder that an
ST-LINK-like thread unmounts and mounts again after a copy.
"""
from __future__ import annotations

import dataclasses
import shutil
import stat
import threading
import time
from pathlib import Path
from types import MappingProxyType

from serial.tools.list_ports_common import ListPortInfo

from tofhil.boards import BoardSpec, load_board

ST_VID, STLINK_V21 = 0x0483, 0x374B

_SCRIPT = """#!/bin/sh
PATH=/usr/bin:/bin
if [ "$1" = "--version" ] && [ -n "{version}" ]; then echo "{version}" >&2; exit 0; fi
log="$(dirname "$0")/{name}.argv"
: > "$log"
for arg in "$@"; do printf '%s\\n' "$arg" >> "$log"; done
{body}
"""
_BODIES = {
    "ok": 'echo "{name}: programmed and verified"\nexit 0',
    "fail": 'i=1\nwhile [ $i -le 30 ]; do echo "{name}: progress line $i"; i=$((i+1)); done\n'
            'echo "Error: {name} could not verify flash at 0x08000000" >&2\nexit 1',
    "hang": 'echo "{name}: waiting for the probe"\nsleep 60 &\necho $! > "$(dirname "$0")/{name}.child"\nwait',
    "no-pack": 'echo "0000123 C Target type stm32f401retx not recognized. Use pyocd list --targets" >&2\nexit 1',
    "error-exit-0": 'echo "Error: No STM32 target found!"\nexit 0',
}


def nucleo_spec(flashers: dict | None = None) -> BoardSpec:
    """The shipped configs/boards/nucleo-f401re.yaml, optionally with another flashers section."""
    spec = load_board("nucleo-f401re")
    if flashers is None:
        return spec
    return dataclasses.replace(spec, flashers=MappingProxyType(flashers))


def port(device: str, vid: int | None = None, pid: int | None = None, serial: str | None = None,
         description: str = "n/a") -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.serial_number, info.description = vid, pid, serial, description
    return info


def nucleo(device: str, serial: str) -> ListPortInfo:
    return port(device, ST_VID, STLINK_V21, serial, "STM32 STLink - ST-Link VCP Ctrl")


def other_devices() -> list[ListPortInfo]:
    """A USB-serial adapter, an ST device that is not an ST-LINK, and a built-in UART."""
    return [port("/dev/ttyUSB0", 0x0403, 0x6001, "A50285BI", "FT232R USB UART"),
            port("/dev/ttyACM7", ST_VID, 0x5740, "205A3595", "STM32 Virtual ComPort"),
            port("/dev/ttyS0")]


class PortSequence:
    """A port lister whose answer changes between calls (a probe re-enumerating after flashing)."""

    def __init__(self, *listings: list[ListPortInfo]):
        self.listings, self.calls = list(listings), 0

    def __call__(self) -> list[ListPortInfo]:
        listing = self.listings[min(self.calls, len(self.listings) - 1)]
        self.calls += 1
        return listing


# what ``TOOL --version`` prints (OpenOCD's banner goes to stderr); "" for tools that are never asked
VERSION_BANNERS = {"openocd": "Open On-Chip Debugger 0.12.0", "pyocd": "0.46.0", "st-flash": "v1.7.0"}


def install_tool(bin_dir: Path, name: str, behaviour: str = "ok", version: str | None = None) -> Path:
    script = bin_dir / name
    banner = VERSION_BANNERS.get(name, "") if version is None else version
    script.write_text(_SCRIPT.format(name=name, version=banner, body=_BODIES[behaviour].format(name=name)))
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def recorded_argv(bin_dir: Path, name: str) -> list[str] | None:
    log = bin_dir / f"{name}.argv"
    return log.read_text().splitlines() if log.exists() else None


def process_gone(pid: int, wait: float = 5.0) -> bool:
    """True once ``pid`` no longer runs (a zombie waiting for its reaper counts as gone)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


class StLinkDrive:
    """A folder that behaves like the ST-LINK's drive: after a complete copy it vanishes and comes back."""

    def __init__(self, mount: Path, fail_text: str | None = None, comes_back: bool = True):
        self.mount, self.fail_text, self.comes_back = mount, fail_text, comes_back
        self.received: bytes | None = None
        mount.mkdir(parents=True, exist_ok=True)
        (mount / "DETAILS.TXT").write_text("Version: V2J40M27\n")
        self._thread = threading.Thread(target=self._program, daemon=True)

    def expect(self, size: int) -> StLinkDrive:
        self._size = size
        self._thread.start()
        return self

    def join(self) -> None:
        self._thread.join(timeout=10)

    def _program(self) -> None:
        image = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and image is None:
            image = next((p for p in self.mount.glob("*.bin") if p.stat().st_size == self._size), None)
            time.sleep(0.02)
        if image is None:
            return
        time.sleep(0.05)  # let the writer close the file
        self.received = image.read_bytes()
        shutil.rmtree(self.mount)
        time.sleep(0.3)
        if self.comes_back:
            self.mount.mkdir(parents=True)
            if self.fail_text is not None:
                (self.mount / "FAIL.TXT").write_text(self.fail_text)
