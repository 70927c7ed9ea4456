"""Exception classes of the HIL harness.

Every error a user or a board can cause derives from :class:`tofhil.errors.ToolError` (the harness's own from
:class:`HilError`); ``python -m hil`` prints its message without a traceback and exits with ``exit_code`` (2). A message names the board, port, frame or file, what
was expected, and the fix.
"""
from __future__ import annotations

from tofhil.errors import BoardSpecError, FirmwareBuildError, FolderError, ToolError

__all__ = ["BoardNotFoundError", "BoardSpecError", "DeviceTimeoutError", "FirmwareBuildError", "FlashError",
           "FolderError", "GateError", "HilError", "LinkError", "ProtocolError", "StaleFirmwareError", "ToolError"]


class HilError(ToolError):
    """Base class of user-facing HIL errors (board specs, folders and firmware builds: :mod:`tofhil.errors`)."""


class BoardNotFoundError(HilError):
    """No board (or more than one) matches what was asked: says what was found and what to pass."""


class FlashError(HilError):
    """A flasher is missing or flashing failed."""


class LinkError(HilError):
    """A link (serial port, socket, pty) cannot be opened or broke."""


class ProtocolError(HilError):
    """Bytes from the board do not form a valid reply."""


class DeviceTimeoutError(HilError):
    """The board did not answer in time; carries the last bytes received and the log path."""

    def __init__(self, message: str, last_bytes: bytes = b"", log_path: str | None = None):
        detail = f"{message}; last bytes received: {last_bytes[-64:].hex(' ') or '(none)'}"
        if log_path:
            detail += f"; serial log: {log_path}"
        super().__init__(detail)
        self.last_bytes = last_bytes
        self.log_path = log_path


class StaleFirmwareError(HilError):
    """The board runs a firmware whose model sha256 is not the run's."""


class GateError(HilError):
    """A configured gate failed (measured value, threshold, evidence path)."""
