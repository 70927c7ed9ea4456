"""pyOCD (the default): ``pyocd load -t TARGET --uid PROBE fw.elf`` and ``pyocd reset``."""
from __future__ import annotations

from pathlib import Path

from hil.errors import FlashError
from hil.flashers.base import ToolFlasher


class PyOcdFlasher(ToolFlasher):
    name = "pyocd"
    tool = "pyocd"
    install_hint = ("pip install pyocd (in the project's .venv: ./run.sh installs it), then once, with internet: "
                    "pyocd pack install stm32f401retx")
    image_formats = (".elf", ".hex", ".bin")

    def __init__(self, target: str, frequency: str | int | None = None, flash_origin: int = 0x08000000,
                 **options):
        super().__init__(**options)
        self.target = target  # a CMSIS-pack target name, e.g. stm32f401retx (not built into pyocd)
        self.frequency = frequency  # SWD clock, e.g. 4000000 or "4m"; None: pyocd's default
        self.flash_origin = flash_origin

    def flash_args(self, image: Path, probe: str | None) -> list[str]:
        base = ["--base-address", f"0x{self.flash_origin:08x}"] if image.suffix.lower() == ".bin" else []
        return ["load", *self._connection(probe), *base, str(image)]  # load resets the chip afterwards

    def reset_args(self, probe: str | None) -> list[str]:
        return ["reset", *self._connection(probe)]

    def _connection(self, probe: str | None) -> list[str]:
        # --no-wait: without a probe pyocd would wait for one forever instead of failing
        frequency = ["-f", str(self.frequency)] if self.frequency else []
        return ["--no-wait", "-t", self.target, *frequency, *(["--uid", probe] if probe else [])]

    def run(self, args: list[str], timeout: float, what: str) -> str:
        try:
            return super().run(args, timeout, what)
        except FlashError as exc:
            if "not recognized" in str(exc):  # pyocd: "Target type stm32f401retx not recognized."
                raise FlashError(f"{exc}\nhint: install the target's CMSIS pack once with "
                                 f"'pyocd pack install {self.target}'") from exc
            raise

    def __repr__(self) -> str:
        return f"PyOcdFlasher(target={self.target!r})"
