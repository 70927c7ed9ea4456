"""stlink-tools: ``st-flash --serial PROBE --reset write fw.bin 0x08000000`` and ``st-flash reset``."""
from __future__ import annotations

from pathlib import Path

from hil.flashers.base import ToolFlasher


class StFlashFlasher(ToolFlasher):
    name = "st-flash"
    tool = "st-flash"
    install_hint = "sudo apt-get install stlink-tools (Debian/Ubuntu), or build github.com/stlink-org/stlink"
    image_formats = (".bin",)

    def __init__(self, reset: bool | int | str = True, flash_origin: int = 0x08000000, **options):
        super().__init__(**options)
        self.reset_after_write = reset not in (False, 0, "0", "false", "no")  # YAML flashers.st-flash.reset
        self.flash_origin = flash_origin

    def flash_args(self, image: Path, probe: str | None) -> list[str]:
        reset = ["--reset"] if self.reset_after_write else []
        return [*self._serial(probe), *reset, "write", str(image), f"0x{self.flash_origin:08x}"]

    def reset_args(self, probe: str | None) -> list[str]:
        return [*self._serial(probe), "reset"]

    @staticmethod
    def _serial(probe: str | None) -> list[str]:
        return ["--serial", probe] if probe else []
