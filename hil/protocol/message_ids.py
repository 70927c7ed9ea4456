"""Message type ids, read from the one X-macro list ``TOFHIL_MESSAGE_LIST`` in ``tofhil_protocol.h`` at import
(as :mod:`hil.protocol.status` reads the status codes): the C enum and the Python classes' ``TYPE`` come from
the same lines. A new message is one ``X(NAME, id)`` line there, its class in messages.py or replies.py, its
handler in tofhil_app.c, and its layout in docs/protocol.md (with golden vectors)."""
from __future__ import annotations

import re

from tofhil.paths import templates_dir

PROTOCOL_HEADER = templates_dir() / "firmware" / "common" / "tofhil_protocol.h"
_ENTRY = re.compile(r"X\(\s*([A-Z][A-Z0-9_]*)\s*,\s*(0x[0-9A-Fa-f]{1,2})\s*\)")


def parse_message_list(text: str) -> dict[str, int]:
    start = text.find("#define TOFHIL_MESSAGE_LIST(X)")
    if start < 0:
        raise ValueError("no '#define TOFHIL_MESSAGE_LIST(X)' in the protocol header")
    lines = []
    for line in text[start:].splitlines()[1:]:
        lines.append(line)
        if not line.rstrip().endswith("\\"):
            break
    ids = {name: int(value, 16) for name, value in _ENTRY.findall("\n".join(lines))}
    if not ids or len(set(ids.values())) != len(ids):
        raise ValueError("TOFHIL_MESSAGE_LIST must list distinct ids")
    return ids


def _load() -> dict[str, int]:
    try:
        return parse_message_list(PROTOCOL_HEADER.read_text(encoding="ascii"))
    except (OSError, ValueError) as exc:
        raise ImportError(f"{PROTOCOL_HEADER}: cannot read the message list: {exc}") from exc


MESSAGE_IDS: dict[str, int] = _load()
