"""Status codes of the firmware, read from the one X-macro list in ``tofhil_status.h`` at import.

The C enum and the Python names come from the same lines, so the two sides cannot drift: code ``i`` is the
``i``-th ``X(NAME, "text")`` entry of ``TOFHIL_STATUS_LIST``.
"""
from __future__ import annotations

import re

from tofhil.paths import templates_dir

STATUS_HEADER = templates_dir() / "runtime" / "tofhil_status.h"
_ENTRY = re.compile(r'X\(\s*([A-Z][A-Z0-9_]*)\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)')


def parse_status_list(text: str) -> tuple[tuple[str, str], ...]:
    """The ``(NAME, text)`` entries of ``TOFHIL_STATUS_LIST`` in ``text``, in enum order."""
    start = text.find("#define TOFHIL_STATUS_LIST(X)")
    if start < 0:
        raise ValueError("no '#define TOFHIL_STATUS_LIST(X)' in the status header")
    lines = []
    for line in text[start:].splitlines()[1:]:
        lines.append(line)
        if not line.rstrip().endswith("\\"):
            break
    entries = tuple(_ENTRY.findall("\n".join(lines)))
    if not entries or entries[0][0] != "OK":
        raise ValueError("TOFHIL_STATUS_LIST must start with X(OK, ...)")
    return entries


def _load() -> tuple[tuple[str, str], ...]:
    try:
        return parse_status_list(STATUS_HEADER.read_text(encoding="ascii"))
    except (OSError, ValueError) as exc:
        raise ImportError(f"{STATUS_HEADER}: cannot read the firmware status list: {exc}") from exc


STATUS_ENTRIES = _load()
STATUS_NAMES: tuple[str, ...] = tuple(name for name, _ in STATUS_ENTRIES)
STATUS_CODES: dict[str, int] = {name: code for code, name in enumerate(STATUS_NAMES)}


def status_name(code: int) -> str:
    """``"BAD_CRC"`` for its code; ``"UNKNOWN_STATUS_<n>"`` for a code the list does not have."""
    return STATUS_NAMES[code] if 0 <= code < len(STATUS_NAMES) else f"UNKNOWN_STATUS_{code}"


def status_text(code: int) -> str:
    """The C side's ``tofhil_status_string(code)``."""
    return STATUS_ENTRIES[code][1] if 0 <= code < len(STATUS_ENTRIES) else "unknown status"


def status_code(name: str) -> int:
    """The code of a status name (``KeyError`` names the unknown status)."""
    try:
        return STATUS_CODES[name]
    except KeyError:
        raise KeyError(f"unknown status {name!r}; known: {', '.join(STATUS_NAMES)}") from None
