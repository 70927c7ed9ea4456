"""A real board on USB (NUCLEO-F401RE): flash through a flasher, find the ST-LINK virtual COM port.

Reset goes through the flasher's tool over SWD (``pyocd reset``, ``st-flash reset``, OpenOCD ``reset run``,
``STM32_Programmer_CLI -rst``; the mass-storage drive flashes again). Toggling DTR/RTS cannot reset a
NUCLEO: the ST-LINK/V2-1 does not wire them to NRST.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from serial.tools.list_ports import comports

from hil.targets.discovery import BoardPort, PortLister, find_board_port
from hil.errors import BoardNotFoundError, BoardSpecError, FlashError
from hil.flashers import Flasher, select_flasher
from hil.spec_fields import board_name, spec_field
from hil.targets.base import Target

_IMAGE_FIELDS = {".elf": "elf", ".bin": "bin", ".hex": "hex"}


class PhysicalTarget(Target):
    """``start`` flashes (unless ``flash=False``) and returns the port; the board keeps running after ``stop``.

    ``flasher``: None (the YAML default), a flasher name, or a Flasher. ``port``: a device path or pyserial
    URL that bypasses discovery. ``probe``: the ST-LINK USB serial number (VCP and debug probe).
    """

    def __init__(self, spec: Any, flasher: str | Flasher | None = None, port: str | None = None,
                 probe: str | None = None, flash: bool = True, list_ports: PortLister = comports,
                 port_timeout: float = 15.0, poll_interval: float = 0.25):
        super().__init__(spec)
        if spec_field(spec, "kind", default="physical") != "physical":
            raise BoardSpecError(f"board {board_name(spec)} is not a physical board (kind: {spec_field(spec, 'kind')})")
        self.port, self.probe, self.flash = port, probe, flash
        self.list_ports = list_ports
        self.port_timeout, self.poll_interval = port_timeout, poll_interval
        self._flasher_choice = flasher
        self._flasher = flasher if isinstance(flasher, Flasher) else None
        self.board_port: BoardPort | None = None

    @classmethod
    def from_options(cls, spec: Any, options: Any, log_dir: Path) -> PhysicalTarget:
        return cls(spec, flasher=options.flasher, port=options.port, probe=options.probe, flash=options.flash)

    @property
    def flasher(self) -> Flasher:
        """Chosen on first use, so ``flash=False`` needs no flasher tool until ``reset``."""
        if self._flasher is None:
            self._flasher = select_flasher(self.spec, self._flasher_choice)
        return self._flasher

    def start(self, image: Any) -> str:
        """Flash ``image`` (a FirmwareImage, or the path of an .elf/.bin/.hex) and return the link URL."""
        self.board_port = self._discover()  # first: the only board's serial number names the probe to flash
        if self.flash:
            self.flasher.flash(image_file(image, self.flasher, board_name(self.spec)), self.probe)
            self.board_port = self._wait_for_port()  # the ST-LINK may re-enumerate after programming
        self.link_url = self.board_port.device
        return self.link_url

    def reset(self) -> None:
        self.flasher.reset(self.probe)

    def stop(self) -> None:
        """Nothing to release: the link belongs to whoever opened it and the board keeps its firmware."""
        self.board_port = self.link_url = None

    def _discover(self) -> BoardPort:
        found = find_board_port(self.spec, self.probe, self.port, self.list_ports)
        if self.probe is None and self.port is None:
            self.probe = found.serial_number
        return found

    def _wait_for_port(self) -> BoardPort:
        if self.port is not None:
            return self._discover()
        deadline = time.monotonic() + self.port_timeout
        while True:
            try:
                return self._discover()
            except BoardNotFoundError:
                if time.monotonic() >= deadline:
                    raise
            time.sleep(self.poll_interval)

    def __repr__(self) -> str:
        where = self.port or (f"probe {self.probe}" if self.probe else "discovered port")
        return f"PhysicalTarget({where}, flasher={self._flasher_choice!r}, flash={self.flash})"


def image_file(image: Any, flasher: Flasher, board: str | None = None) -> Path:
    """The file of ``image`` in the first format ``flasher`` takes (.elf for pyocd/OpenOCD, .bin for st-flash)."""
    if isinstance(image, (str, Path)):
        return Path(image)
    if board is not None and getattr(image, "board", board) != board:
        raise FlashError(f"the firmware image was built for board {image.board!r}, not {board!r}: build it for "
                         f"{board} (python -m hil build --board {board})")
    for suffix in flasher.image_formats:
        path = getattr(image, _IMAGE_FIELDS[suffix], None)
        if path is not None:
            return Path(path)
    raise FlashError(f"flasher '{flasher.name}' takes {' or '.join(flasher.image_formats)} images; "
                     f"the firmware image has none ({image!r})")


__all__ = ["PhysicalTarget", "image_file"]
