"""The one interface every board backend implements (docs/architecture.md, "Targets")."""
from __future__ import annotations

import abc
from pathlib import Path
from typing import Any


class Target(abc.ABC):
    """A board brought up with our firmware, reachable through a pyserial URL.

    ``start`` returns the link URL (a device path, ``socket://``, ``rfc2217://``); ``stop`` is idempotent
    and is also called on leaving a ``with`` block, whatever the reason (a failing test, Ctrl-C).
    """

    link_url: str | None = None  # what start returned; a reset may change it (the host board's new pty)
    attachable = False  # --port attaches to an already running board of this kind (hil.targets.attached)

    def __init__(self, spec: Any):
        self.spec = spec  # the BoardSpec from configs/boards/<name>.yaml

    @classmethod
    def from_options(cls, spec: Any, options: Any, log_dir: Path) -> Target:
        """Built from the command-line options (:class:`hil.runner.BoardOptions`); logs go to ``log_dir``."""
        return cls(spec, log_dir)

    @abc.abstractmethod
    def start(self, image: Any) -> str:
        """Load ``image`` (a FirmwareImage) onto the board, run it and return the link URL."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Restart the firmware from reset; the link URL stays valid."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Release the board and everything started for it; safe to call twice or before start."""

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
