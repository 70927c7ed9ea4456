"""Exception classes of the training package.

Every error a user can cause (a bad config, a corrupt dataset file, a model that
does not fit the rules) derives from :class:`HandPostureError`. The CLI catches
that base class, prints the message without a traceback and exits with 2.
Messages name the file, the key or the frame, and what is expected.
"""
from __future__ import annotations

from tofhil.errors import ToolError


class HandPostureError(ToolError):
    """Base class of all user-facing errors; the CLI exits with ``exit_code``."""

    exit_code = 2


class ConfigError(HandPostureError):
    """The YAML configuration is invalid (names the file and the key path)."""


class DatasetError(HandPostureError):
    """A dataset file or folder is missing, corrupt or malformed."""


class ModelError(HandPostureError):
    """A model file or model definition does not satisfy the training rules."""


class ExportError(HandPostureError):
    """A model cannot be quantized or turned into C (names the op and tensor)."""


class OutputDirError(HandPostureError):
    """An output folder cannot be used: a file, not creatable, not writable, or holding a finished run."""
