"""ST's STM32CubeProgrammer: ``STM32_Programmer_CLI -c port=SWD sn=PROBE -w fw.bin 0x08000000 -v -rst``."""
from __future__ import annotations

from pathlib import Path

from hil.errors import FlashError
from hil.flashers.base import ToolFlasher
from tofhil.processes import tail


class CubeProgrammerFlasher(ToolFlasher):
    name = "stm32cubeprogrammer"
    tool = "STM32_Programmer_CLI"
    install_hint = ("install STM32CubeProgrammer from st.com (free, ST account) and put its bin folder "
                    "(e.g. ~/STMicroelectronics/STM32Cube/STM32CubeProgrammer/bin) on PATH")
    image_formats = (".bin", ".elf", ".hex")

    def __init__(self, port: str = "SWD", flash_origin: int = 0x08000000, **options):
        super().__init__(**options)
        self.port = port  # the debug interface of the ST-LINK: SWD (or JTAG)
        self.flash_origin = flash_origin

    def flash_args(self, image: Path, probe: str | None) -> list[str]:
        address = [f"0x{self.flash_origin:08x}"] if image.suffix.lower() == ".bin" else []
        return [*self._connect(probe), "-w", str(image), *address, "-v", "-rst"]

    def reset_args(self, probe: str | None) -> list[str]:
        return [*self._connect(probe), "-rst"]

    def run(self, args: list[str], timeout: float, what: str) -> str:
        output = super().run(args, timeout, what)
        # some versions print "Error: ..." and still exit 0 (not checked on hardware here)
        if any(line.lstrip().startswith("Error:") for line in output.splitlines()):
            raise FlashError(f"{self.name} {what} reported an error; output tail:\n{tail(output)}")
        return output

    def _connect(self, probe: str | None) -> list[str]:
        return ["-c", f"port={self.port}", *([f"sn={probe}"] if probe else [])]
