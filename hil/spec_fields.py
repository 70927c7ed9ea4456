"""Read the few BoardSpec fields the physical-board code needs (usb ids, flashers, flash origin).

``tofhil.boards.load_board`` returns typed objects; tests and callers may also pass the plain mapping of a
``configs/boards/*.yaml`` file. Both are read through :func:`spec_field`, so this code does not depend on
how a section is typed (attribute or mapping).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hil.errors import BoardSpecError

_MISSING = object()


def spec_field(spec: Any, *path: str, default: Any = _MISSING) -> Any:
    """``spec.a.b`` or ``spec["a"]["b"]``; ``default`` when a key is absent (an error without one)."""
    value = spec
    for key in path:
        found = value.get(key, _MISSING) if isinstance(value, Mapping) else getattr(value, key, _MISSING)
        if found is _MISSING or found is None:
            if default is not _MISSING:
                return default
            raise BoardSpecError(f"board {board_name(spec)}: configs/boards/{board_name(spec)}.yaml "
                                 f"has no '{'.'.join(path)}' (needed for a physical board)")
        value = found
    return value


def board_name(spec: Any) -> str:
    name = spec.get("name") if isinstance(spec, Mapping) else getattr(spec, "name", None)
    return str(name or "?")


def as_mapping(value: Any) -> dict[str, Any]:
    """A section (mapping, dataclass or plain object) as a dict of its fields."""
    if isinstance(value, Mapping):
        return dict(value)
    if hasattr(value, "__dataclass_fields__"):
        return {name: getattr(value, name) for name in value.__dataclass_fields__}
    return dict(vars(value))
