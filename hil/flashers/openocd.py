"""OpenOCD: ``openocd -f CONFIG -c "adapter serial PROBE" -c "program fw.elf verify reset exit"``."""
from __future__ import annotations

from pathlib import Path

from hil.flashers.base import ToolFlasher


class OpenOcdFlasher(ToolFlasher):
    name = "openocd"
    tool = "openocd"
    install_hint = "sudo apt-get install openocd (Debian/Ubuntu; 0.11 or newer for 'adapter serial')"
    image_formats = (".elf", ".hex")

    def __init__(self, config: str, **options):
        super().__init__(**options)
        self.config = config  # a board script from OpenOCD's scripts folder, e.g. board/st_nucleo_f4.cfg

    def flash_args(self, image: Path, probe: str | None) -> list[str]:
        # braces quote the path for OpenOCD's Tcl (spaces); verify reads the flash back
        return [*self._setup(probe), "-c", f"program {{{image.as_posix()}}} verify reset exit"]

    def reset_args(self, probe: str | None) -> list[str]:
        return [*self._setup(probe), "-c", "init", "-c", "reset run", "-c", "shutdown"]

    def _setup(self, probe: str | None) -> list[str]:
        return ["-f", self.config, *(["-c", f"adapter serial {probe}"] if probe else [])]

    def __repr__(self) -> str:
        return f"OpenOcdFlasher(config={self.config!r})"
