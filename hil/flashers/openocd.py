"""OpenOCD: ``openocd -f CONFIG -c "adapter serial PROBE" -c "program fw.elf verify reset exit"``.

``adapter serial`` exists from OpenOCD 0.12 on; 0.11 (Debian 11, Ubuntu 22.04) knows only the ST-LINK
driver's ``hla_serial``. The version is read once from ``openocd --version`` when a probe must be named.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from hil.errors import FlashError
from hil.flashers.base import ToolFlasher

_VERSION = re.compile(r"Open On-Chip Debugger (\d+)\.(\d+)")


def parse_openocd_version(text: str) -> tuple[int, int] | None:
    """(major, minor) from ``openocd --version`` output ("Open On-Chip Debugger 0.11.0"), or None."""
    match = _VERSION.search(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


class OpenOcdFlasher(ToolFlasher):
    name = "openocd"
    tool = "openocd"
    install_hint = "sudo apt-get install openocd (Debian/Ubuntu; 0.11 or newer)"
    image_formats = (".elf", ".hex")

    def __init__(self, config: str, **options):
        super().__init__(**options)
        self.config = config  # a board script from OpenOCD's scripts folder, e.g. board/st_nucleo_f4.cfg
        self._version: tuple[int, int] | None = None

    def version(self) -> tuple[int, int]:
        """The installed OpenOCD's (major, minor); FlashError when it cannot be told or is older than 0.11."""
        if self._version is None:
            executable = self.executable()
            if executable is None:
                raise FlashError(self.missing_message())
            try:  # OpenOCD prints its banner on stderr
                done = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=10,
                                      stdin=subprocess.DEVNULL)
                text = done.stdout + done.stderr
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise FlashError(f"openocd --version failed: {exc}") from exc
            version = parse_openocd_version(text)
            if version is None or version < (0, 11):
                raise FlashError(f"openocd --version says {text.strip()[:80]!r}: flasher 'openocd' needs OpenOCD "
                                 f"0.11 or newer ({self.install_hint})")
            self._version = version
        return self._version

    def flash_args(self, image: Path, probe: str | None) -> list[str]:
        # braces quote the path for OpenOCD's Tcl (spaces); verify reads the flash back
        return [*self._setup(probe), "-c", f"program {{{image.as_posix()}}} verify reset exit"]

    def reset_args(self, probe: str | None) -> list[str]:
        return [*self._setup(probe), "-c", "init", "-c", "reset run", "-c", "shutdown"]

    def _setup(self, probe: str | None) -> list[str]:
        if not probe:
            return ["-f", self.config]
        command = "adapter serial" if self.version() >= (0, 12) else "hla_serial"  # 0.11: the ST-LINK driver's
        return ["-f", self.config, "-c", f"{command} {probe}"]

    def __repr__(self) -> str:
        return f"OpenOcdFlasher(config={self.config!r})"
