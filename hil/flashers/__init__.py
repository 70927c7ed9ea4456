"""Flashers: one small class per tool behind :class:`Flasher`; ``select_flasher`` picks one for a board.

The board's YAML lists the flashers it supports and their settings, and names the default::

    flashers: {default: pyocd, pyocd: {target: stm32f401retx}, st-flash: {}, openocd: {config: ...},
               stm32cubeprogrammer: {}, mass-storage: {volume_label: NODE_F401RE}}
"""
from __future__ import annotations

from typing import Any

from hil.errors import BoardSpecError, FlashError
from hil.flashers.base import Flasher, ToolFlasher, run_tool
from hil.flashers.cubeprogrammer import CubeProgrammerFlasher
from hil.flashers.mass_storage import MassStorageFlasher
from hil.flashers.openocd import OpenOcdFlasher
from hil.flashers.pyocd_flasher import PyOcdFlasher
from hil.flashers.stflash import StFlashFlasher
from hil.spec_fields import as_mapping, board_name, spec_field
from tofhil.board_parse import FLASHER_SETTINGS

__all__ = ["Flasher", "ToolFlasher", "PyOcdFlasher", "StFlashFlasher", "OpenOcdFlasher", "CubeProgrammerFlasher",
           "MassStorageFlasher", "FLASHERS", "select_flasher", "make_flasher", "run_tool"]

FLASHERS: dict[str, type[Flasher]] = {cls.name: cls for cls in (
    PyOcdFlasher, StFlashFlasher, OpenOcdFlasher, CubeProgrammerFlasher, MassStorageFlasher)}

# YAML settings per flasher, (required keys, optional keys), are declared once in tofhil.board_parse, which
# checks the YAML; they are the keys the constructors take. The flash origin comes from the memory map.
_TAKES_ORIGIN = ("pyocd", "st-flash", "stm32cubeprogrammer")


def select_flasher(spec: Any, name: str | None = None, **options: Any) -> Flasher:
    """The board's default flasher (YAML ``flashers.default``) or the one named, with its tool present.

    ``options`` go to the flasher's constructor (timeouts, ``search_path``; tests use them).
    Raises FlashError for an unknown name or a missing tool, BoardSpecError for bad YAML settings.
    """
    flasher = make_flasher(spec, name, **options)
    if not flasher.available():
        raise FlashError(flasher.missing_message())
    return flasher


def make_flasher(spec: Any, name: str | None = None, **options: Any) -> Flasher:
    """Like :func:`select_flasher`, without checking that the tool is installed."""
    section = as_mapping(spec_field(spec, "flashers"))
    name = name or section.get("default")
    configured = sorted(key for key in section if key != "default")
    if name in configured and name not in FLASHERS:
        raise BoardSpecError(f"configs/boards/{board_name(spec)}.yaml flashers: unknown flasher {name!r}; "
                             f"known: {', '.join(FLASHERS)}")
    if name not in configured:
        raise FlashError(f"board {board_name(spec)} has no flasher {name!r}; choose one of "
                         f"{', '.join(configured)} (configs/boards/{board_name(spec)}.yaml flashers), e.g. "
                         f"--flasher {configured[0] if configured else 'pyocd'}")
    settings = _checked_settings(spec, name, as_mapping(section.get(name) or {}))
    if name in _TAKES_ORIGIN:
        settings["flash_origin"] = int(spec_field(spec, "memory", "flash", "origin", default=0x08000000))
    return FLASHERS[name](**settings, **options)


def _checked_settings(spec: Any, name: str, settings: dict[str, Any]) -> dict[str, Any]:
    required, optional = FLASHER_SETTINGS[name]
    where = f"configs/boards/{board_name(spec)}.yaml flashers.{name}"
    unknown = sorted(set(settings) - set(required) - set(optional))
    missing = [key for key in required if not settings.get(key)]
    if unknown or missing:
        allowed = ", ".join(required + optional) or "no keys"
        problem = f"unknown key {unknown[0]!r}" if unknown else f"missing key {missing[0]!r}"
        raise BoardSpecError(f"{where}: {problem}; allowed: {allowed}")
    return settings
