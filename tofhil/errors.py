"""The user-facing error base of every package: one class, one exit code.

``tofhil`` is the TF-free core that ``training`` and ``hil`` both build on, so the base lives here and both
packages derive their own families from it (``training.errors.HandPostureError``, ``hil.errors.HilError``).
A command-line entry point catches :class:`ToolError`, prints its one-line message without a traceback and
exits with ``exit_code`` (2). A message names the file, key, board or frame, and what was expected.
"""
from __future__ import annotations


class ToolError(Exception):
    """Base class of every error a user, a file or a board can cause."""

    exit_code = 2


class BoardSpecError(ToolError):
    """A board description (configs/boards/*.yaml) is missing or invalid."""


class FolderError(ToolError):
    """A run or export folder is missing, incomplete or unreadable."""


class FirmwareBuildError(ToolError):
    """Generating or building the firmware project failed."""
