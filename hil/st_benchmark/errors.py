"""Exception classes of the benchmark backends (all :class:`hil.errors.HilError`: one line, exit code 2).

An error raised once a results file exists carries ``results_path`` (the JSON that keeps every figure
measured before the failure, and the failure itself) and names it in its message.
"""
from __future__ import annotations

from pathlib import Path

from hil.errors import HilError


class BackendError(HilError):
    """A benchmark backend failed; ``results_path`` (if any) holds the figures measured before the failure."""

    def __init__(self, message: str, results_path: Path | None = None):
        if results_path is not None:
            message = f"{message} (results so far: {results_path})"
        super().__init__(message)
        self.results_path = results_path


class ClientNotInstalledError(BackendError):
    """ST's ``stm32ai_dc`` package cannot be imported."""


class RunFolderError(BackendError):
    """The run folder lacks a model the benchmark needs."""


class StCloudLoginError(BackendError):
    """MyST login failed: wrong or missing credentials, blocked account, expired stored token."""


class StCloudNetworkError(BackendError):
    """The Developer Cloud could not be reached (DNS, proxy, TLS, connection reset)."""


class StCloudQuotaError(BackendError):
    """The Developer Cloud refused the request because the account's quota is used up."""


class StCloudTimeoutError(BackendError):
    """A cloud step did not finish within its time limit."""


class StCloudBoardError(BackendError):
    """The requested board is not in the cloud's benchmark farm (the message lists the available ones)."""


class StCloudServiceError(BackendError):
    """The cloud service reported a failure (upload refused, analyze or benchmark failed on its side)."""


class StCloudReplyError(BackendError):
    """The client returned something this harness cannot read (a malformed or incomplete reply)."""


class StEdgeAiError(BackendError):
    """The local ``stedgeai`` executable is missing, failed, timed out, or wrote an unreadable report."""


class ComparisonError(BackendError):
    """A report that the comparison reads is unreadable."""
