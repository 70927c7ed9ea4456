"""Strict reading of one board YAML mapping: every key typed and range-checked, unknown keys are errors.

Each error names the file and the dotted key path and says what is allowed, e.g.
``configs/boards/x.yaml: uart.baud: expected an integer in [1200, 10000000], got '9600 baud'``.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tofhil.errors import BoardSpecError

_MISSING = object()


class SectionReader:
    """Takes the keys of one YAML mapping one by one; :meth:`finish` rejects whatever was not taken."""

    def __init__(self, source: Path, data: Any, prefix: str = ""):
        self.source, self.prefix = source, prefix
        if not isinstance(data, Mapping):
            where = prefix.rstrip(".") or "the file"
            raise BoardSpecError(f"{source}: {where}: expected a mapping of keys, got {_show(data)}")
        self._data, self._taken = dict(data), set()

    def error(self, key: str, expected: str, value: Any = _MISSING) -> BoardSpecError:
        got = "it is missing" if value is _MISSING else f"got {_show(value)}"
        return BoardSpecError(f"{self.source}: {self.prefix}{key}: expected {expected}, {got}")

    def has(self, key: str) -> bool:
        return key in self._data

    def raw(self, key: str, expected: str, default: Any = _MISSING) -> Any:
        self._taken.add(key)
        if key in self._data and self._data[key] is not None:
            return self._data[key]
        if default is _MISSING:
            raise self.error(key, expected)
        return default

    def text(self, key: str, choices: tuple[str, ...] | None = None, default: Any = _MISSING) -> str:
        expected = f"one of {list(choices)}" if choices else "a non-empty string"
        value = self.raw(key, expected, default)
        if not isinstance(value, str) or not value or (choices and value not in choices):
            raise self.error(key, expected, value)
        return value

    def integer(self, key: str, low: int, high: int, default: Any = _MISSING, hex_form: bool = False) -> int:
        bounds = f"[{low:#x}, {high:#x}]" if hex_form else f"[{low}, {high}]"
        expected = f"an integer in {bounds}"
        value = self.raw(key, expected, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(key, expected, value)
        return value

    def number(self, key: str, low: float, high: float) -> float:
        expected = f"a number in [{low}, {high}]"
        value = self.raw(key, expected)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise self.error(key, expected, value)
        return float(value)

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.raw(key, "a list of strings")
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise self.error(key, "a list of strings", value)
        return tuple(value)

    def integer_list(self, key: str, low: int, high: int) -> tuple[int, ...]:
        expected = f"a non-empty list of integers in [{low:#x}, {high:#x}]"
        value = self.raw(key, expected)
        if not isinstance(value, list) or not value or not all(
                isinstance(v, int) and not isinstance(v, bool) and low <= v <= high for v in value):
            raise self.error(key, expected, value)
        return tuple(value)

    def section(self, key: str, required: bool = True) -> SectionReader | None:
        value = self.raw(key, "a mapping", _MISSING if required else None)
        return None if value is None else SectionReader(self.source, value, f"{self.prefix}{key}.")

    def keys(self) -> list[str]:
        return [str(key) for key in self._data]

    def finish(self) -> None:
        unknown = [str(key) for key in self._data if key not in self._taken]
        if unknown:
            raise BoardSpecError(f"{self.source}: unknown key {self.prefix}{unknown[0]} "
                                 f"(allowed here: {', '.join(sorted(map(str, self._taken)))})")

    def forbid(self, keys: tuple[str, ...], why: str) -> None:
        for key in keys:
            if key in self._data:
                raise BoardSpecError(f"{self.source}: {self.prefix}{key}: not allowed {why}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
