"""Which frames a per-layer validation (``--per-layer`` / ``hil.per_layer``) compares layer by layer.

One parser for the config key (training's loader) and the command-line option (hil), so the two accept the same
spellings: ``all`` (every frame), ``N`` (the first N streamed frames) or ``differing`` (only frames whose
outputs differ from the host's BUILTIN_REF).
"""
from __future__ import annotations

from dataclasses import dataclass

SPELLINGS = "all, differing, or a positive whole number N (the first N frames)"


@dataclass(frozen=True)
class PerLayerSelection:
    kind: str  # "all" | "first" | "differing"
    count: int | None = None  # for "first"

    def __str__(self) -> str:
        return str(self.count) if self.kind == "first" else self.kind

    def pick(self, indices: list[int], differing: set[int]) -> list[int]:
        """The frames to compare, in stream order, among the streamed ``indices``."""
        if self.kind == "all":
            return list(indices)
        if self.kind == "first":
            return list(indices)[:self.count]
        return [i for i in indices if i in differing]


def parse_per_layer(value) -> PerLayerSelection | None:
    """``None`` for no per-layer comparison; raises ValueError naming what is expected."""
    if value is None or isinstance(value, PerLayerSelection):
        return value
    if isinstance(value, bool):
        raise ValueError(f"expected {SPELLINGS}, got {value!r}")
    text = str(value).strip().lower()
    if text in ("all", "differing"):
        return PerLayerSelection(text)
    try:
        count = int(text)
    except ValueError:
        raise ValueError(f"expected {SPELLINGS}, got {value!r}") from None
    if count < 1:
        raise ValueError(f"expected {SPELLINGS}, got {value!r}")
    return PerLayerSelection("first", count)
