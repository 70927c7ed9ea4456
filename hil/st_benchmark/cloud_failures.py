"""Turn whatever ST's ``stm32ai_dc`` client raised into one of our clear errors.

The client has few exception classes of its own (login failures, ``ServerError``/``BenchmarkError``
families); network trouble surfaces as ``requests`` exceptions (``OSError`` subclasses), a malformed server
reply as ``KeyError``/``TypeError``/``AttributeError`` from inside the client, and its own polling timeout as a
``None`` result that it then dereferences. The cloud has no quota exception: a refused request carries the
server's message, which is matched here.
"""
from __future__ import annotations

import re

from hil.st_benchmark import errors
from hil.st_benchmark.deadline import CallFailed, DeadlineExceeded
from hil.st_benchmark.st_results import ReplyShapeError

LOGIN_EXCEPTIONS = {"InvalidCrendetialsException", "BlockedAccountException", "LoginFailureException"}
QUOTA_WORDS = re.compile(r"quota|too many requests|\b429\b|limit (?:reached|exceeded)|rate.?limit", re.IGNORECASE)
UNAUTHORIZED = re.compile(r"\b401\b|unauthori[sz]ed", re.IGNORECASE)
READ_ERRORS = (KeyError, TypeError, AttributeError, ValueError, IndexError)

HINTS = {
    "login": "Set STM32AI_USERNAME and STM32AI_PASSWORD (your MyST account; ST's scripts' stmai_username and "
             "stmai_password are read too), or delete the stored token ~/.stmai_token if it has expired (ST's "
             "client fails while refreshing it) and log in again with the variables",
    "network": "Check the internet connection and proxy (http_proxy/https_proxy; NO_SSL_VERIFY=1 behind a "
               "TLS-inspecting proxy)",
    "quota": "The Developer Cloud quota of this account is used up: retry later or with another account",
    "timeout": "The board farm may be busy: retry later or raise --st-timeout",
    "reply": "The client could not read the service's answer (ST's client prints the server's own message above "
             "it; otherwise check that the stm32ai_dc version matches docs/st-edge-ai.md)",
    "service": "The Developer Cloud reported the failure above",
}
KINDS = {"login": errors.StCloudLoginError, "network": errors.StCloudNetworkError,
         "quota": errors.StCloudQuotaError, "timeout": errors.StCloudTimeoutError,
         "reply": errors.StCloudReplyError, "service": errors.StCloudServiceError}


def _class_names(exc: BaseException) -> list[str]:
    return [cls.__name__ for cls in type(exc).__mro__]


def failure_kind(exc: BaseException, elapsed_s: float = 0.0, client_limit_s: float | None = None,
                 said: str = "") -> str:
    """One of :data:`KINDS`' keys for an exception raised by the client (or by reading its result); ``said``:
    what the client printed or logged meanwhile (the server's refusal, which its exception does not carry)."""
    names = _class_names(exc)
    if LOGIN_EXCEPTIONS.intersection(names):
        return "login"
    if QUOTA_WORDS.search(str(exc)) or QUOTA_WORDS.search(said):
        return "quota"
    if UNAUTHORIZED.search(said):
        return "login"  # the service rejected the (stored) token; the client then fails on the None it got
    if any("Timeout" in name for name in names):
        return "timeout"
    if isinstance(exc, OSError):
        return "network"
    if isinstance(exc, ReplyShapeError):
        return "reply"
    if client_limit_s is not None and elapsed_s >= client_limit_s and isinstance(exc, (AttributeError, TypeError)):
        return "timeout"  # the client's own wait loop gave up and returned None, which it then dereferenced
    if type(exc).__module__.startswith("stm32ai_dc"):
        return "service"
    return "reply" if isinstance(exc, READ_ERRORS) else "service"


def describe(failure: BaseException, client_limit_s: float | None = None, said: str = "",
             run_message: str | None = None) -> tuple[str, str]:
    """(kind, detail) for a :class:`CallFailed`, :class:`DeadlineExceeded` or a reading error; ``said``: the
    client's printed error lines, ``run_message``: the server's message of a run in ST's error state
    (:mod:`hil.st_benchmark.client_watch`)."""
    if isinstance(failure, DeadlineExceeded):
        return "timeout", str(failure)
    if isinstance(failure, CallFailed):
        cause = failure.error
        if run_message is not None:  # the client drops it and fails on the incomplete reply
            kind = "quota" if QUOTA_WORDS.search(run_message) else "service"
            return kind, f"the run ended in ST's error state: {run_message} (then {type(cause).__name__}: {cause})"
        kind = failure_kind(cause, failure.elapsed_s, client_limit_s, said)
        detail = f"{type(cause).__name__}: {cause}"
        if kind == "timeout" and isinstance(cause, (AttributeError, TypeError)):
            detail = f"the client gave up after {failure.elapsed_s:.0f} s ({detail})"
        if said and kind in ("quota", "login", "reply", "service"):
            detail = f"the service answered: {said} (then {detail})"
        return kind, detail
    return failure_kind(failure), f"{type(failure).__name__}: {failure}"


def backend_error(kind: str, step: str, detail: str, results_path) -> errors.BackendError:
    message = f"ST Edge AI Developer Cloud, {step}: {detail.rstrip('.')}. {HINTS[kind]}"
    return KINDS[kind](message, results_path)
