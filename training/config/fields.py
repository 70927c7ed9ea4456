"""``spec``: a dataclass field carrying what the validator in ``loader.py`` enforces."""
from __future__ import annotations

from dataclasses import field


def spec(default=None, *, required=False, range=None, choices=None, doc="", factory=None, positive=False,
         unused=None):
    """A dataclass field with validation metadata (``positive``: strictly greater than 0; ``unused``: an ST key
    accepted unchanged but not used here, and why: named once in a note when a config sets it)."""
    meta = {"required": required, "range": range, "choices": choices, "doc": doc, "positive": positive,
            "unused": unused}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


