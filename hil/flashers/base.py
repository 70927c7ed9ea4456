"""The one interface of every flasher; their tools run through :mod:`tofhil.processes` (timeouts, output tail)."""
from __future__ import annotations

import abc
import os
import shutil
import sys
from pathlib import Path
from typing import ClassVar

from hil.errors import FlashError
from tofhil import processes


class Flasher(abc.ABC):
    """Programs an image into the board's flash and resets the chip; one subclass per tool.

    ``probe`` is the ST-LINK's USB serial number (None: the only probe connected). Every failure (tool
    missing, flashing failed or timed out) is a FlashError that names the tool and the fix.
    """

    name: ClassVar[str]                       # as in configs/boards/*.yaml flashers and --flasher
    image_formats: ClassVar[tuple[str, ...]]  # accepted image suffixes, preferred first

    @abc.abstractmethod
    def flash(self, image_path: Path, probe: str | None) -> None:
        """Program ``image_path`` and start it."""

    @abc.abstractmethod
    def reset(self, probe: str | None) -> None:
        """Reset the chip and let the firmware run."""

    @abc.abstractmethod
    def available(self) -> bool:
        """Whether the tool (or drive) this flasher needs is there."""

    @abc.abstractmethod
    def missing_message(self) -> str:
        """What is missing and how to install it."""


class ToolFlasher(Flasher):
    """A flasher that runs a command-line tool, with timeouts; errors carry the tail of its output."""

    tool: ClassVar[str]                   # executable looked up on PATH
    install_hint: ClassVar[str]           # how to get the tool

    def __init__(self, *, search_path: str | None = None, flash_timeout: float = 120.0,
                 reset_timeout: float = 30.0):
        self.search_path = search_path    # None: PATH, then the running interpreter's bin folder
        self.flash_timeout = flash_timeout
        self.reset_timeout = reset_timeout

    def available(self) -> bool:
        return self.executable() is not None

    def executable(self) -> str | None:
        path = self.search_path
        if path is None:  # a venv's tools (pyocd) without activating the venv
            path = os.pathsep.join([os.environ.get("PATH", ""), str(Path(sys.executable).parent)])
        return shutil.which(self.tool, path=path)

    def missing_message(self) -> str:
        return f"flasher '{self.name}' needs '{self.tool}', which is not on PATH: {self.install_hint}"

    def flash(self, image_path: Path, probe: str | None) -> None:
        image = check_image(Path(image_path), self.image_formats, self.name)
        self.run(self.flash_args(image, probe), self.flash_timeout, "flashing")

    def reset(self, probe: str | None) -> None:
        self.run(self.reset_args(probe), self.reset_timeout, "reset")

    @abc.abstractmethod
    def flash_args(self, image: Path, probe: str | None) -> list[str]:
        """Arguments after the executable that program ``image`` and reset the chip."""

    @abc.abstractmethod
    def reset_args(self, probe: str | None) -> list[str]:
        """Arguments after the executable that reset the chip and let it run."""

    def run(self, args: list[str], timeout: float, what: str) -> str:
        executable = self.executable()
        if executable is None:
            raise FlashError(self.missing_message())
        return run_tool([executable, *args], timeout, f"{self.name} {what}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def check_image(image: Path, formats: tuple[str, ...], flasher: str) -> Path:
    if image.suffix.lower() not in formats:
        raise FlashError(f"flasher '{flasher}' takes {' or '.join(formats)} images, not {image}")
    if not image.is_file():
        raise FlashError(f"firmware image {image} does not exist: build the firmware first")
    return image.resolve()


def run_tool(argv: list[str], timeout: float, what: str) -> str:
    """A flasher tool run to completion (:func:`tofhil.processes.run_tool`); its failure is a FlashError."""
    return processes.run_tool(argv, what, error=FlashError, timeout=timeout)
