"""ST's ``frozen_layers`` syntax: Python index expressions into the model's layer list.

``(0:-1)`` freezes all layers but the last; ``(8, 110:121, -1)`` freezes layer 8,
layers 110-120 and the last one; empty or None leaves every layer trainable.
"""
from __future__ import annotations

import re

from training.errors import ConfigError

_ITEM = re.compile(r"^\s*(-?\d+)?\s*(:\s*(-?\d+)?\s*)?$")


def parse_frozen_layers(text: str | None, num_layers: int) -> list[int]:
    """Indices (sorted, non-negative) of the layers to freeze."""
    if text is None or str(text).strip() in ("", "None", "()"):
        return []
    body = str(text).strip()
    if not (body.startswith("(") and body.endswith(")")):
        raise ConfigError(f"training.frozen_layers: {text!r} must be in parentheses, e.g. (0:-1) or (8, 110:121, -1)")
    frozen: set[int] = set()
    for item in body[1:-1].split(","):
        match = _ITEM.match(item)
        if not item.strip() or not match:
            raise ConfigError(f"training.frozen_layers: {item.strip()!r} in {text!r} is not an index or a slice")
        start, is_slice, stop = match.group(1), match.group(2), match.group(3)
        if is_slice:
            frozen.update(range(num_layers)[slice(_int(start), _int(stop))])
            continue
        index = int(start)
        if not -num_layers <= index < num_layers:
            raise ConfigError(f"training.frozen_layers: index {index} in {text!r} is outside the model's "
                              f"{num_layers} layers")
        frozen.add(index % num_layers)
    return sorted(frozen)


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)
